"""The public pages in a real browser (Debian's Chromium, headless): the reporting form in English and in
Persian (right to left), a field error shown and fixed, a keyboard-only declaration, the confirmation page;
the commander's page reaching a local receiver through a real delivery; the status page showing a public update
and not a private one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from escalation.models import Notification
from escalation.outbox import notification_deliver
from incidents.major.comms import status_update_publish
from incidents.models import MajorIncident, StatusPageService
from tests.browser import browser_page
from tests.escalation.receiver import webhook_receiver
from tests.incidents.factories import ServiceFactory, UserFactory

from .factories import commander_on_call, declare, webhook_contact


def tab_to(page, element_id: str, *, tag: str = "") -> None:
    """Press Tab until the element has the focus (a date field holds several stops in Chromium)."""
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.id, document.activeElement.tagName]")
        if (element_id and focused[0] == element_id) or (tag and focused[1] == tag and not element_id):
            return
    raise AssertionError(f"the keyboard never reached {element_id or tag}")


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/declare/")
    assert "/login/" in page.url, "anonymous visitors are sent to sign in"
    page.fill("#id_username", "rob")
    page.fill("#id_password", "a long enough password")
    with page.expect_navigation():
        page.click("button.vigil-primary")
    assert page.url == f"{base}/declare/"


@pytest.mark.django_db(transaction=True)
def test_a_reporter_declares_with_the_keyboard_after_fixing_an_error_and_the_commander_is_paged(live_server):
    reporter = UserFactory(role="reporters", username="rob")
    reporter.set_password("a long enough password")
    reporter.save()
    ServiceFactory(name="checkout")
    with webhook_receiver() as receiver:
        world = commander_on_call(since=timezone.now() - timedelta(hours=1))
        webhook_contact(world["commander"], receiver.url)
        with browser_page() as page:
            _sign_in(page, live_server.url)
            assert page.get_attribute("html", "dir") == "ltr"

            # A field error, shown next to its field and in the summary, then fixed.
            page.fill("#id_contact", "+33 6 00 00 00 00")
            with page.expect_navigation():
                page.click("button.vigil-primary")
            assert page.is_visible("#error-summary")
            assert "This field is required" in page.inner_text("#id_title_error")
            assert page.get_attribute("#id_title", "aria-invalid") == "true"

            # Keyboard only from here: the summary's link takes the focus to the field in error.
            page.focus("#error-summary a")
            page.keyboard.press("Enter")
            page.keyboard.type("Nobody can pay at the checkout")
            tab_to(page, "id_service")
            page.keyboard.press("ArrowDown")  # checkout
            tab_to(page, "id_affected_1")  # the chosen radio of the group: "many"
            page.keyboard.press("ArrowUp")  # everyone
            tab_to(page, "id_details")
            page.keyboard.type("Card payments time out.")
            tab_to(page, "", tag="BUTTON")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            reference = page.inner_text("#reference")
            assert "has been paged" in page.inner_text("main")
            page.screenshot(path="var/declare-done.png", full_page=True)
        major = MajorIncident.objects.get()
        assert reference == major.reference
        assert major.severity == 1
        assert major.services.get().name == "checkout"

        # The commander's page leaves through the outbox to the receiver: a real HTTP delivery.
        [page_row] = Notification.objects.filter(
            reason="page", recipient=world["commander"], channel="webhook"
        )
        assert notification_deliver(notification_id=page_row.pk) == "sent"
        [received] = receiver.requests
        assert received.headers["X-Vigil-Event"] == "page"
        assert received.json()["subject"]["reference"] == major.reference


@pytest.mark.django_db(transaction=True)
def test_the_form_in_persian_is_right_to_left(live_server):
    reporter = UserFactory(role="reporters", username="rob")
    reporter.set_password("a long enough password")
    reporter.save()
    with browser_page() as page:
        _sign_in(page, live_server.url)
        page.select_option("#vigil-language", "fa")
        with page.expect_navigation():
            page.click(".vigil-language-switch button")
        assert page.get_attribute("html", "lang") == "fa"
        assert page.get_attribute("html", "dir") == "rtl"
        page.fill("#id_title", "سامانه پرداخت از کار افتاده است")
        page.fill("#id_contact", "۰۹۱۲۰۰۰۰۰۰۰")
        with page.expect_navigation():
            page.click("button.vigil-primary")
        assert page.get_attribute("html", "dir") == "rtl"
        reference = page.inner_text("#reference")
        page.screenshot(path="var/declare-fa.png", full_page=True)
    major = MajorIncident.objects.get()
    assert reference == major.reference
    assert major.title == "سامانه پرداخت از کار افتاده است"


@pytest.mark.django_db(transaction=True)
def test_the_status_page_shows_a_public_update_and_not_a_private_one(live_server):
    service = ServiceFactory()
    StatusPageService.objects.create(service=service, public_name="Payments")
    major = declare(by=None, title="DB primary lost", services=[service], severity=2)
    status_update_publish(
        major_incident_id=major.pk, by=None, status="Replica lag 40 min on db-7", audiences=["technical"]
    )
    status_update_publish(
        major_incident_id=major.pk,
        by=None,
        status="x",
        audiences=["public"],
        public_text="Some payments fail.",
    )
    with browser_page() as page:
        page.goto(f"{live_server.url}/status/")
        text = page.inner_text("main")
        assert "Some payments fail." in text
        assert "db-7" not in text
        assert page.get_attribute("#services tbody tr", "data-state") == "partial_outage"
        page.screenshot(path="var/status.png", full_page=True)
