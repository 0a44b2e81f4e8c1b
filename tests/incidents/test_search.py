"""Incident search in every language (incidents.selectors.incident_search): the same tests pass on PostgreSQL
(trigram indexes) and on SQLite (run the file without DATABASE_URL)."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import Incident
from incidents.search import search_words
from incidents.selectors import incident_search
from incidents.services import incident_comment
from tests.incidents.factories import IncidentFactory, IntegrationFactory, UserFactory
from tests.incidents.integration_support import am_url
from tests.services import require_postgres

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"
T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def found(term: str, **kwargs) -> list[int]:
    return list(incident_search(Incident.objects.all(), term, **kwargs).values_list("pk", flat=True))


# (language, title, a part of a word in it, an unrelated title)
TITLES = [
    ("en", "Checkout returns 502 for some customers", "eckou", "Printer out of paper"),
    ("ko", "결제가 실패했습니다 (카드 승인 오류)", "결제", "프린터 용지가 부족합니다"),
    ("ja", "東京リージョンのサーバーが応答しません", "サーバー", "プリンターの紙切れ"),
    ("zh-Hant", "台北機房的伺服器當機", "伺服器", "印表機缺紙"),
    ("fa", "سرور پرداخت از کار افتاده است", "پرداخت", "چاپگر کاغذ ندارد"),
]


@pytest.mark.parametrize(("language", "title", "part", "other"), TITLES, ids=[t[0] for t in TITLES])
def test_a_part_of_the_title_finds_it_in_every_language(language, title, part, other):
    match = IncidentFactory(title=title)
    IncidentFactory(title=other)
    assert found(part) == [match.pk]
    assert found(title) == [match.pk]


@pytest.mark.parametrize(
    ("text", "two_characters"),
    [
        ("결제가 실패했습니다", "실패"),
        ("東京のサーバー停止", "東京"),
        ("伺服器當機", "當機"),
        ("db-1 is down", "DB"),
    ],
)
def test_a_term_shorter_than_a_trigram_is_found(text, two_characters):
    match = IncidentFactory(title="x", description=text)
    IncidentFactory(title="nothing here")
    assert found(two_characters) == [match.pk]


def test_case_is_ignored_and_every_word_must_be_found():
    both = IncidentFactory(title="Disk FULL on db-1", description="postgres stopped writing")
    IncidentFactory(title="Disk check passed")
    assert found("disk full") == [both.pk]
    assert found("DISK POSTGRES") == [both.pk]
    assert set(found("disk")) == {both.pk, both.pk + 1}
    assert found('"stopped writing"') == [both.pk]
    assert found('"writing stopped"') == []


def test_case_is_ignored_in_every_script_that_has_case():
    match = IncidentFactory(title="Café de l'ÉCOLE: Ошибка в ΣΥΣΤΗΜΑ")
    IncidentFactory(title="cafe")
    for term in ("CAFÉ", "école", "ошибка", "Συστημα"):
        assert found(term) == [match.pk], term


@pytest.mark.parametrize("term", ["결제가 실패", "실패 결제가", "DB postgres", "postgres db"])
def test_a_short_word_beside_a_longer_one_is_found_in_every_place(term):
    # On PostgreSQL the longer word chooses the rows through its index and the two-character one is checked on
    # them (incident_search): in the title, the description, a comment or an alert label alike.
    in_title = IncidentFactory(title="결제가 실패했습니다 (DB)", description="postgres")
    in_comment = IncidentFactory(title="결제가 지연", description="postgres")
    incident_comment(incident_id=in_comment.pk, by=UserFactory(role="agents"), body="실패 원인: DB 잠금")
    IncidentFactory(title="결제가 완료", description="postgres")  # the longer word only
    IncidentFactory(title="로그인 실패", description="DB")  # the short word only
    assert set(found(term)) == {in_title.pk, in_comment.pk}


def test_like_wildcards_are_plain_characters():
    percent = IncidentFactory(title="CPU at 100% on web-2")
    IncidentFactory(title="CPU at 1000 requests")
    assert found("100%") == [percent.pk]
    assert found("web_2") == []


def test_camelcase_alert_names_are_found_by_their_parts(api):
    integration = IntegrationFactory()
    body = {
        "version": "4",
        "status": "firing",
        "groupKey": "g1",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "KubePodCrashLooping", "namespace": "payments"},
                "fingerprint": "f1",
                "startsAt": "2026-03-01T09:00:00Z",
            }
        ],
    }
    assert api.post(am_url(integration.key), body, format="json").status_code in (200, 202)
    incident = Incident.objects.get()
    IncidentFactory(title="Kube upgrade planned")
    assert found("CrashLoop") == [incident.pk]
    assert found("podcrash") == [incident.pk]
    assert found("namespace=payments") == [incident.pk]
    assert incident.pk in found("Kube")


def test_comments_are_searched_and_private_ones_only_for_agents():
    agent = UserFactory(role="agents")
    reporter = UserFactory(role="reporters")
    incident = IncidentFactory(title="VPN drops", reporter=reporter)
    incident_comment(incident_id=incident.pk, by=agent, body="ルーターを再起動しました", public=True)
    incident_comment(incident_id=incident.pk, by=agent, body="internal: vendor ticket 4711", public=False)
    assert found("再起動") == [incident.pk]
    assert found("vendor ticket", user=agent) == [incident.pk]
    assert found("vendor ticket", user=reporter) == []
    assert found("再起動", user=reporter) == [incident.pk]


def test_ranked_by_relevance_then_recency():
    old_title = IncidentFactory(title="Checkout slow", reported_at=T0)
    new_title = IncidentFactory(title="Checkout down", reported_at=T0 + dt.timedelta(days=1))
    description = IncidentFactory(title="Shop", description="checkout", reported_at=T0 + dt.timedelta(days=2))
    comment = IncidentFactory(title="Other", reported_at=T0 + dt.timedelta(days=3))
    incident_comment(incident_id=comment.pk, by=UserFactory(role="agents"), body="the checkout again")
    IncidentFactory(title="Unrelated", reported_at=T0 + dt.timedelta(days=4))
    assert found("checkout") == [new_title.pk, old_title.pk, description.pk, comment.pk]


def test_a_reference_finds_its_incident_first():
    incident = IncidentFactory(title="Printer jam")
    mentions = IncidentFactory(title=f"Follow-up of {incident.reference}")
    assert found(incident.reference) == [incident.pk, mentions.pk]
    assert found(f"inc-{incident.pk}")[0] == incident.pk
    assert found(str(incident.pk))[0] == incident.pk


def test_the_api_and_the_admin_search_the_same_way(api, as_role, client):
    match = IncidentFactory(title="결제가 실패했습니다", reported_at=T0)
    better = IncidentFactory(title="결제 지연", reported_at=T0 - dt.timedelta(days=1))
    IncidentFactory(title="로그인 오류")
    incident_comment(incident_id=match.pk, by=UserFactory(role="agents"), body="x")
    as_role("agents")
    body = api.get(URL, {"search": "결제"}).json()
    assert [row["id"] for row in body["results"]] == [match.pk, better.pk]
    staff = UserFactory(role="agents", is_staff=True)
    client.force_login(staff)
    page = client.get("/admin/incidents/incident/", {"q": "결제"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [match, better]


def test_a_search_page_costs_no_more_queries_than_the_list(api, as_role, django_assert_max_num_queries):
    as_role("agents")
    for n in range(30):
        IncidentFactory(title=f"サーバー {n}")
    # As many queries as the plain list (count, page, the user's permissions): the search is inside them.
    with django_assert_max_num_queries(6):
        body = api.get(URL, {"search": "サーバー 1", "page_size": 50}).json()
    assert body["count"] == 12  # 1, 10 to 19, 21


def test_a_search_counts_up_to_a_limit_and_says_so(api, as_role, settings):
    as_role("agents")
    settings.VIGIL_SEARCH_COUNT_MAX = 4
    for n in range(6):
        IncidentFactory(title=f"서버 {n}", reported_at=T0 + dt.timedelta(minutes=n))
    IncidentFactory(title="프린터")
    body = api.get(URL, {"search": "서버", "page_size": 3}).json()
    assert (body["count"], body["count_capped"]) == (4, True)
    assert [row["title"] for row in body["results"]] == ["서버 5", "서버 4", "서버 3"]
    assert body["next"] is not None
    assert api.get(URL, {"search": "서버 5"}).json() | {"results": None} == {
        "count": 1,
        "count_capped": False,
        "next": None,
        "previous": None,
        "results": None,
    }
    # The plain list counts every row.
    assert api.get(URL).json()["count"] == 7
    assert api.get(URL).json()["count_capped"] is False


def test_a_long_term_reads_its_first_words_only():
    match = IncidentFactory(title="a b c d e f g h")
    assert found("a b c d e f g h " + "zzz " * 100) == [match.pk]


def test_search_words():
    assert search_words(' a  "b c"  d ') == ["a", "b c", "d"]
    assert search_words('"unclosed') == ['"unclosed']


# Korean, Japanese (kana and kanji), Traditional Chinese, Persian, Latin (both cases), digits, a space, and
# the characters LIKE treats specially.
ALPHABET = "결제서버장애가는サーバー応答東京伺服器當機سرورپرداختaBcDeXyZ019 -_%\\"  # noqa: RUF001


@given(text=st.text(alphabet=ALPHABET, min_size=1, max_size=40), data=st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_part_of_any_title_finds_it(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    part = text[start:end]
    if not part.strip():
        return
    incident = IncidentFactory(title=text)
    try:
        assert incident.pk in found(part)
        assert found(part + "ヰ") == []  # a character in no title
    finally:
        incident.delete()


@given(text=st.text(alphabet=ALPHABET + "\t\nÉé", max_size=60))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_linear_bigrams_are_those_of_the_first_definition(text):
    # Migration 0015 replaced vigil_bigrams without rebuilding the indexes: both definitions must agree.
    require_postgres()
    from importlib import import_module

    from django.db import connection

    first = import_module("incidents.migrations.0015_search_bigrams_linear").QUADRATIC
    with connection.cursor() as cursor:
        cursor.execute(first.replace("FUNCTION vigil_bigrams(", "FUNCTION pg_temp.vigil_bigrams_first("))
        cursor.execute("SELECT vigil_bigrams(%s), pg_temp.vigil_bigrams_first(%s)", [text, text])
        linear, quadratic = cursor.fetchone()
    assert linear == quadratic
    lowered = text.lower()
    pairs = (lowered[i : i + 2] for i in range(len(lowered) - 1))
    assert set(linear) == {pair for pair in pairs if not any(c.isspace() for c in pair)}
