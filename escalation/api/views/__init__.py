"""The escalation app's API views, one module per concept; each mirrors its model module in
`escalation/models/` (the views of `models/contact.py` are in `views/contact.py`). The base classes several
modules share are in `base.py`; `escalation/api/urls.py` routes them all."""
