"""Alerts in: the formats monitoring tools speak (Alertmanager, PagerDuty Events v2, our generic JSON), parsed
into one shape, and the services that fold them into incidents.

`payloads` decodes and cleans request bodies, `alertmanager` / `pagerduty` / `generic` turn a body into an
`AlertBatch`, `ingest` stores it and opens, joins or resolves incidents (`repeat` is its one-statement hot
path), `limits` holds the per-integration counters and signatures, `heartbeats` and `spikes` the watches that
run beside ingestion, `services` and `selectors` manage and find integrations, `admin` their admin pages."""
