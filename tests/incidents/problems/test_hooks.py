"""What waited for problems and changes: a resolved major incident's post-mortem takes its root cause from the
linked problem; post-mortems and their action items link to problems and changes."""

import pytest

from incidents.major.command import role_assign
from incidents.major.services import major_incident_transition
from incidents.problems.services import problem_link_major_incident
from postmortems.models import Postmortem, PostmortemLink
from postmortems.services import action_item_create, link_add
from tests.incidents.changes.factories import new_change
from tests.incidents.factories import UserFactory
from tests.incidents.major.factories import declare

from .factories import open_problem

pytestmark = pytest.mark.django_db


def _resolved_with(problem):
    major = declare(by=None)
    role_assign(major_incident_id=major.pk, role="commander", user=UserFactory(), by=None)
    major_incident_transition(major_incident_id=major.pk, name="investigate", by=None)
    problem_link_major_incident(problem_id=problem.pk, major_incident_id=major.pk, by=None)
    major_incident_transition(major_incident_id=major.pk, name="resolve", by=None)
    return major


def test_the_post_mortem_root_cause_is_the_linked_problem() -> None:
    problem = open_problem(title="Certificate rotation", root_cause="The renewal job ran on a drained node.")
    major = _resolved_with(problem)
    postmortem = Postmortem.objects.get(subject_id=major.pk, subject_type__model="majorincident")
    assert postmortem.root_cause == f"{problem.reference}: The renewal job ran on a drained node."
    link = PostmortemLink.objects.get(postmortem=postmortem)
    assert (link.target_type.model, link.target_id, link.purpose) == ("problem", problem.pk, "root_cause")


def test_a_problem_without_a_root_cause_yet_is_linked_and_the_section_left_to_write() -> None:
    problem = open_problem()
    major = _resolved_with(problem)
    postmortem = Postmortem.objects.get(subject_id=major.pk, subject_type__model="majorincident")
    assert postmortem.root_cause == ""
    assert PostmortemLink.objects.filter(
        postmortem=postmortem, purpose="root_cause", target_id=problem.pk
    ).exists()


def test_action_items_link_to_a_problem_or_a_change() -> None:
    problem = open_problem(root_cause="x")
    postmortem = Postmortem.objects.get(
        subject_id=_resolved_with(problem).pk, subject_type__model="majorincident"
    )
    item = action_item_create(postmortem_id=postmortem.pk, by=None, title="Automate the renewal")
    change = new_change(title="Move renewal to a cron job on every node")
    to_change = link_add(
        postmortem_id=postmortem.pk,
        by=None,
        kind="incidents.change",
        target_id=change.pk,
        purpose="related",
        action_item_id=item.pk,
    )
    to_problem = link_add(
        postmortem_id=postmortem.pk,
        by=None,
        kind="incidents.problem",
        target_id=problem.pk,
        purpose="related",
        action_item_id=item.pk,
    )
    assert {to_change.target_id, to_problem.target_id} == {change.pk, problem.pk}
    assert PostmortemLink.objects.filter(action_item=item).count() == 2
