"""The escalation app's API serializers, one module per concept; each mirrors its model module in
`escalation/models/` (the serializers of `models/contact.py` are in `serializers/contact.py`). What several
modules share is in `base.py`. Durations are whole seconds (`*_seconds`)."""
