"""The endpoints monitoring tools post to. They authenticate by the integration key (in the path, or PagerDuty's
`routing_key`), not by a user: no session, no CSRF, and a throttle of their own that counts only the
requests refused for their key or signature, per client address.

Every answer is JSON. Alertmanager retries only on 5xx and drops what gets a 429, so its endpoint never
answers 429: over the integration's rate its alerts fold into a storm incident, and the throttle of refused
requests answers it 503 + Retry-After instead. The PagerDuty endpoint answers in PagerDuty's shapes."""

import ipaddress
import re
from collections.abc import Callable
from typing import Any, NoReturn

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import NotFound, VigilError
from config.unavailable import database_unavailable

from ..integrations.alertmanager import alertmanager_parse
from ..integrations.generic import generic_parse
from ..integrations.heartbeats import heartbeat_check_in
from ..integrations.ingest import IngestResult, alerts_ingest
from ..integrations.limits import (
    IngestRateThrottle,
    InvalidSignature,
    integration_cap_check,
    signature_check,
    signature_claim,
    signature_release,
)
from ..integrations.pagerduty import pagerduty_parse, routing_key_of
from ..integrations.payloads import AlertBatch, InvalidJSON, InvalidPayload, body_decode, storable_text
from ..integrations.selectors import integration_by_key
from ..models import Integration, IntegrationKind
from ..models.integration import KEY_LENGTH

KEY_FORMAT = re.compile(rf"[0-9a-f]{{{KEY_LENGTH}}}")
RETRY_AFTER_UNAVAILABLE = 5


class IntegrationNotFound(NotFound):
    code = "integration_not_found"
    default_detail = gettext_lazy("No integration has this key.")  # read per request, in its language


class IntegrationDisabled(VigilError):
    code = "integration_disabled"
    status = 401


class WrongEndpoint(VigilError):
    code = "wrong_endpoint"
    status = 400


class Unavailable(VigilError):
    code = "unavailable"
    status = 503


class UnsupportedMediaType(VigilError):
    code = "unsupported_media_type"
    status = 415


def json_media_type(content_type: str) -> bool:
    """`application/json`, or a JSON-based type (`application/vnd.x+json`), with any parameters."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _remote_addr(request: Request) -> str | None:
    """The client's address when it is one (a server on a Unix socket passes "" or a path)."""
    value = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _incident_brief(result: IngestResult) -> dict[str, Any] | None:
    incident = result.incident
    if incident is None:
        return None
    return {"id": incident.pk, "reference": incident.reference, "state": incident.state}


class _InboundView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Per client address, only requests refused for their key or signature count (`refuse`): accepted ones are
    # limited per integration (the hard cap, storm folding), and cost no counter on the way.
    throttle_classes: list = []
    # The body is read raw: it is stored and signature-checked exactly as it was sent.
    parser_classes: list = []
    renderer_classes = [JSONRenderer]
    kind: str | None = None
    hard_cap = True
    # Alert bodies are JSON: anything declared otherwise is refused (415) before the body is read.
    json_only = True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if (
            self.json_only
            and request.method == "POST"
            and not json_media_type(request.META.get("CONTENT_TYPE", ""))
        ):
            raise UnsupportedMediaType(
                _("Send alerts as JSON, with Content-Type: application/json."),
                content_type=request.META.get("CONTENT_TYPE", "")[:100],
            )

    def integration_for(self, key: str) -> Integration:
        """The enabled integration of this key and kind; 404, 401 or 400 otherwise. Keys of the wrong shape
        are turned away without a database query."""
        key = key.strip().lower()
        integration = None
        if KEY_FORMAT.fullmatch(key):
            integration = integration_by_key(key)
        if integration is None:
            self.refuse(IntegrationNotFound())
        if not integration.enabled:
            self.refuse(
                IntegrationDisabled(_("Integration %(name)s is disabled.") % {"name": integration.name})
            )
        if self.kind is not None and integration.kind != self.kind:
            self.refuse(
                WrongEndpoint(
                    _(
                        "Integration %(name)s is a %(kind)s integration: send its alerts to the %(kind)s endpoint."
                    )
                    % {"name": integration.name, "kind": integration.get_kind_display()},
                    kind=integration.kind,
                )
            )
        return integration

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        """Always JSON (the only renderer): no negotiation to run on every alert."""
        renderer = self.renderer_classes[0]()
        return renderer, renderer.media_type

    def refuse(self, error: VigilError) -> NoReturn:
        """Raises `error`, or the throttle's answer when this address has been refused too often this minute
        (THROTTLE_INTEGRATIONS): whoever guesses keys meets the limit, senders with a good key never do."""
        throttle = IngestRateThrottle()
        if not throttle.allow_request(self.request, self):
            self.throttled(self.request, throttle.wait() or 1.0)
        raise error

    def admit(self, request: Request, integration: Integration, raw: bytes) -> None:
        """The signature (when the integration has a secret) and the hard cap. A signed request that was
        already accepted is a replay: refused like a bad signature (`signature_claim`)."""
        if integration.hmac_secret:
            try:
                signature_check(secret=integration.hmac_secret, headers=request.headers, body=raw)
                self.signature_claimed = signature_claim(
                    integration_id=integration.pk, headers=request.headers
                )
            except InvalidSignature as error:
                self.refuse(error)
        if self.hard_cap:
            integration_cap_check(
                integration_id=integration.pk, name=integration.name, limit=integration.hard_cap_per_minute
            )

    def receive(
        self, request: Request, key: str, parse: Callable[[Any], AlertBatch]
    ) -> tuple[AlertBatch, IngestResult]:
        """The key's integration admitted, the body parsed and ingested: what the two webhooks share."""
        integration = self.integration_for(key)
        raw = request.body
        self.admit(request, integration, raw)
        body, text = body_decode(raw)
        batch = parse(body)
        return batch, self.ingest(request, integration, batch, text)

    def ingest(self, request: Request, integration: Integration, batch: Any, text: str) -> IngestResult:
        return alerts_ingest(
            integration=integration,
            batch=batch,
            raw_body=text,
            remote_addr=_remote_addr(request),
            user_agent=request.headers.get("User-Agent", ""),
        )

    signature_claimed: str | None = None

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        # Only an accepted request uses up its signature: a sender may resend one that failed (a 503) as it was.
        if self.signature_claimed and not 200 <= response.status_code < 300:
            signature_release(self.signature_claimed)
        return super().finalize_response(request, response, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if database_unavailable(exc):
            # A lost connection or a deadlock victim: a 503 makes Alertmanager and PagerDuty clients retry.
            exc = Unavailable(_("The database is unavailable; retry shortly."))
        response = super().handle_exception(exc)
        retry_after = response.data.get("retry_after_seconds") if isinstance(response.data, dict) else None
        if isinstance(exc, Unavailable):
            retry_after = RETRY_AFTER_UNAVAILABLE
        if retry_after:
            response["Retry-After"] = str(int(retry_after))
        return response


@extend_schema(tags=["integrations (inbound)"])
class AlertmanagerWebhookView(_InboundView):
    """Prometheus Alertmanager's webhook (version 4): one incident per group key while open; it resolves when
    every alert (fingerprint) of the group has resolved."""

    kind = IntegrationKind.ALERTMANAGER
    # Alertmanager drops what gets a 429: over the integration's rate its alerts fold into a storm instead.
    hard_cap = False

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        raise Unavailable(
            _("Too many requests from this address; retry shortly."), retry_after_seconds=int(wait or 1)
        )

    @extend_schema(
        request=dict, responses={200: dict, 400: dict, 401: dict, 404: dict, 413: dict, 415: dict, 503: dict}
    )
    def post(self, request: Request, key: str) -> Response:
        batch, result = self.receive(request, key, alertmanager_parse)
        return Response(
            {
                "status": "ok",
                "alerts": len(batch.events),
                "incident": _incident_brief(result),
                "silenced": result.silenced,
            }
        )


@extend_schema(tags=["integrations (inbound)"])
class GenericWebhookView(_InboundView):
    """Vigil's own JSON body for CRMs and scripts (docs/integrations.md)."""

    kind = IntegrationKind.GENERIC

    @extend_schema(
        request=dict,
        responses={202: dict, 400: dict, 401: dict, 404: dict, 413: dict, 415: dict, 429: dict, 503: dict},
    )
    def post(self, request: Request, key: str) -> Response:
        batch, result = self.receive(request, key, generic_parse)
        return Response(
            {
                "status": "accepted",
                "dedup_key": batch.dedup_key,
                "incident": _incident_brief(result),
                "silenced": result.silenced,
            },
            status=status.HTTP_202_ACCEPTED,
        )


@extend_schema(tags=["integrations (inbound)"])
class HeartbeatView(_InboundView):
    """A monitor's check-in: answers when the next one is due. Any kind of integration with a heartbeat."""

    json_only = False  # a check-in needs no body: monitors post whatever they post

    @extend_schema(request=None, responses={200: dict, 401: dict, 404: dict, 409: dict})
    def post(self, request: Request, key: str) -> Response:
        integration = self.integration_for(key)
        raw = request.body
        self.admit(request, integration, raw)
        text = storable_text(raw.decode("utf-8", "replace"))
        due = heartbeat_check_in(integration=integration, raw_body=text, remote_addr=_remote_addr(request))
        return Response({"status": "ok", "next_due_at": due.isoformat()})


PAGERDUTY_STATUS = {
    InvalidJSON: "Unrecognized object",
    InvalidPayload: "invalid event",
    IntegrationNotFound: "invalid routing key",
    IntegrationDisabled: "integration disabled",
    WrongEndpoint: "invalid routing key",
}


@extend_schema(tags=["integrations (inbound)"])
class PagerDutyEventsView(_InboundView):
    """PagerDuty Events API v2 (`/v2/enqueue`), answered like PagerDuty, so any tool that can talk to
    PagerDuty can talk to Vigil by changing the URL. `routing_key` is the integration key."""

    kind = IntegrationKind.PAGERDUTY_EVENTS

    @extend_schema(
        request=dict,
        responses={
            202: OpenApiResponse(
                dict, description='{"status": "success", "message": "Event processed", ...}'
            ),
            400: OpenApiResponse(
                dict, description='{"status": "invalid event", "message": ..., "errors": [...]}'
            ),
            415: dict,
            429: dict,
            503: dict,
        },
    )
    def post(self, request: Request) -> Response:
        raw = request.body
        body, text = body_decode(raw)
        integration = self.integration_for(routing_key_of(body))
        self.admit(request, integration, raw)
        batch = pagerduty_parse(body)
        self.ingest(request, integration, batch, text)
        return Response(
            {"status": "success", "message": "Event processed", "dedup_key": batch.dedup_key},
            status=status.HTTP_202_ACCEPTED,
        )

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        data = response.data if isinstance(response.data, dict) else {}
        if isinstance(exc, InvalidJSON):
            message = _("Event object format is unrecognized")
        else:
            message = data.get("detail", "")
        short = next((text for cls, text in PAGERDUTY_STATUS.items() if isinstance(exc, cls)), None)
        body: dict[str, Any] = {
            "status": short or data.get("code", "error"),
            "message": message,
            "errors": data.get("errors") or [message],
        }
        for name in ("integration", "limit_per_minute", "retry_after_seconds"):
            if name in data:
                body[name] = data[name]
        response.data = body
        return response
