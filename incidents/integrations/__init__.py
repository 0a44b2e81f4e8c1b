"""Alerts in: the formats monitoring tools speak (Alertmanager, PagerDuty Events v2, our generic JSON), parsed
into one shape, and the services that fold them into incidents.

`payloads` decodes and cleans request bodies, `alertmanager` / `pagerduty` / `generic` turn a body into an
`AlertBatch`, `ingest` stores it and opens, joins or resolves incidents (its entry point and transaction, and
the general path; `groups` and `storms` are parts of that path, `one_statement` is the hot path it tries
first, `statements` prepares its statements), and `rules` states once every rule both paths follow.
`limits` holds the per-integration counters and signatures, `heartbeats` the watch that runs beside
ingestion, `services` and `selectors` manage and find integrations, `admin` their admin pages. Spikes and
possible major incidents concern every incident: `incidents.spikes`."""
