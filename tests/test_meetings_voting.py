"""Online votes by residents and paper ballots by the office, counted together on the count
page: a change of an online vote, a paper ballot overriding nothing silently, Σ equalities."""
from decimal import Decimal as D

import pytest

from factories import login_as
from factories_meetings import TODAY, make_meeting, small_register
from meetings.models import PaperBallot, Vote
from meetings.results import count_meeting
from models import AuditEvent, Hoa


@pytest.fixture
def meeting(demo):
    demo.config["TODAY"] = TODAY.isoformat()
    with demo.app_context():
        meeting = make_meeting(Hoa.get(Hoa.prefixes == "10"))
        entries = small_register(meeting)
        questions = list(meeting.ordered_questions())
    return {"app": demo, "meeting": meeting, "entries": entries, "q": [q.id for q in questions]}


def vote_form(q, *answers):
    return {f"q{qid}": answer for qid, answer in zip(q, answers)}


def test_resident_votes_online_changes_the_vote_and_sees_it(meeting, client):
    app, m, q = meeting["app"], meeting["meeting"], meeting["q"]
    with app.app_context():
        login_as(client, "100002")
    entry = meeting["entries"]["Петров П. П."]
    page = client.get(f"/cabinet/meetings/{m.id}").get_data(as_text=True)
    assert "Проголосовать онлайн" in page and "Петров П. П." in page
    url = f"/cabinet/meetings/{m.id}/vote/{entry.id}"
    r = client.post(url, data=vote_form(q, "for", "against"))
    assert r.status_code == 400 and "нет ответа по вопросам: 3" in r.get_data(as_text=True)
    with app.app_context():
        assert Vote.select().count() == 0
    assert client.post(url, data=vote_form(q, "for", "against", "abstain")).status_code == 302
    assert client.post(url, data=vote_form(q, "against", "against", "for")).status_code == 302
    with app.app_context():
        votes = {v.question_id: v.decision for v in Vote.select()}
        assert votes == dict(zip(q, ["against", "against", "for"]))
        assert AuditEvent.select().where(AuditEvent.event == "meeting_vote").count() == 2
        assert "(changed)" in AuditEvent.select().order_by(AuditEvent.id.desc()).get().detail
    page = client.get(f"/cabinet/meetings/{m.id}").get_data(as_text=True)
    assert "Изменить голос" in page and "<b>Против</b>" in page


def test_voting_is_refused_outside_the_period_and_without_art_47_1(meeting, client):
    app, m, q = meeting["app"], meeting["meeting"], meeting["q"]
    with app.app_context():
        login_as(client, "100002")
    url = f"/cabinet/meetings/{m.id}/vote/{meeting['entries']['Петров П. П.'].id}"
    for day, message in (("2026-03-09", "Голосование ещё не началось"),
                         ("2026-03-21", "Голосование закончилось 20.03.2026")):
        app.config["TODAY"] = day
        r = client.post(url, data=vote_form(q, "for", "for", "for"), follow_redirects=True)
        assert message in r.get_data(as_text=True)
    app.config["TODAY"] = TODAY.isoformat()
    with app.app_context():
        m.online_counts = False
        m.save()
    r = client.post(url, data=vote_form(q, "for", "for", "for"), follow_redirects=True)
    assert "распечатайте бюллетень" in r.get_data(as_text=True)
    assert "Бюллетень для печати" in r.get_data(as_text=True)
    with app.app_context():
        assert Vote.select().count() == 0


def test_entries_and_meetings_of_others_are_not_found(meeting, client):
    app, m, q = meeting["app"], meeting["meeting"], meeting["q"]
    with app.app_context():
        login_as(client, "100003")
        other_meeting = make_meeting(Hoa.get(Hoa.prefixes == "20"))
        draft = make_meeting(m.hoa, published=False)
    not_mine = meeting["entries"]["Петров П. П."].id
    assert client.post(f"/cabinet/meetings/{m.id}/vote/{not_mine}",
                       data=vote_form(q, "for", "for", "for")).status_code == 404
    for meeting_id in (other_meeting.id, draft.id):
        assert client.get(f"/cabinet/meetings/{meeting_id}").status_code == 404
    with app.app_context():
        assert Vote.select().count() == 0
    client.post("/logout")
    with app.app_context():
        login_as(client, "100004")  # not in the register
    page = client.get(f"/cabinet/meetings/{m.id}").get_data(as_text=True)
    assert "Вашего лицевого счёта нет в реестре" in page


def test_paper_ballot_beside_an_online_vote_is_a_conflict_the_office_resolves(meeting, client,
                                                                              office):
    app, m, q = meeting["app"], meeting["meeting"], meeting["q"]
    petrov = meeting["entries"]["Петров П. П."]
    resident = app.test_client()
    with app.app_context():
        login_as(resident, "100002")
    resident.post(f"/cabinet/meetings/{m.id}/vote/{petrov.id}",
                  data=vote_form(q, "for", "for", "for"))
    base = f"/office/{office.id}/meetings/{m.id}"
    page = client.get(base + f"/ballots?number={petrov.ballot_number}").get_data(as_text=True)
    assert "голосовал онлайн" in page
    r = client.post(base + f"/ballots/{petrov.id}", data=vote_form(q, "against", "against", ""),
                    follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "выберите ниже, какие ответы учитывать" in text and "data-conflict=" in text
    with app.app_context():
        result = count_meeting(m)
        assert [e.id for e in result.conflicts] == [petrov.id]
        assert petrov.id not in result.count.voters  # neither answer counts silently
        assert Vote.select().where(Vote.source == "online").count() == 3  # nothing replaced
    assert client.get(base + "/protocol.pdf").status_code == 302  # refused until resolved
    client.post(base + f"/ballots/{petrov.id}/resolve", data={"source": "paper"})
    with app.app_context():
        result = count_meeting(m)
        assert result.conflicts == [] and result.counted[petrov.id][q[0]] == "against"
        assert result.counted[petrov.id][q[2]] == ""


def test_count_page_at_the_edges_and_sums(meeting, client, office):
    """300 m²: кв. 1 halves (50 + 50), кв. 2 100, кв. 3 50, the office 50.
    Ivanov (50) and Petrov (100) vote: 150 of 300 is exactly half — no quorum; then the
    pharmacy (50) votes too: 200 of 300 (66,67 %), a quorum; on question 3 (two thirds of
    all) «за» 200 of 300 is exactly two thirds — passed; on question 2 (more than half of
    all) «за» 150 is exactly half — not passed; on question 1 (more than half of those who
    voted) «за» 100 of 200 is exactly half — not passed."""
    app, m, q = meeting["app"], meeting["meeting"], meeting["q"]
    e = meeting["entries"]
    base = f"/office/{office.id}/meetings/{m.id}"
    for owner, answers in (("Иванов И. И.", ("for", "for", "for")),
                           ("Петров П. П.", ("against", "for", "for"))):
        client.post(base + f"/ballots/{e[owner].id}", data=vote_form(q, *answers))
    page = client.get(base + "/count").get_data(as_text=True)
    assert 'data-quorum="no"' in page and "150,00 (50,00 %)" in page
    assert 'data-passed="yes"' not in page
    client.post(base + f"/ballots/{e['ООО «Аптека»'].id}",
                data=vote_form(q, "for", "", "for"))
    page = client.get(base + "/count").get_data(as_text=True)
    assert 'data-quorum="yes"' in page and "200,00 (66,67 %)" in page
    with app.app_context():
        result = count_meeting(m)
    q1, q2, q3 = (result.count.questions[i] for i in range(3))
    assert q1.votes["for"] == D("100.00") and not q1.passed  # exactly half of those voting
    assert q2.votes["for"] == D("150.00") and not q2.passed  # exactly half of all
    assert q3.votes["for"] == D("200.00") and q3.passed  # exactly two thirds of all
    for r in result.count.questions:
        assert sum(r.votes.values()) == result.count.turnout == D("200.00")
    assert result.count.turnout == sum(result.entries[i].votes for i in result.count.voters)
    # a spoilt ballot counts for nothing
    client.post(base + f"/ballots/{e['ООО «Аптека»'].id}", data={"spoilt": "y"})
    with app.app_context():
        assert count_meeting(m).count.turnout == D("150.00")
        assert PaperBallot.get(PaperBallot.entry == e["ООО «Аптека»"].id).spoilt


def test_a_ballot_number_not_in_the_register_is_a_message(meeting, client, office):
    m = meeting["meeting"]
    r = client.get(f"/office/{office.id}/meetings/{m.id}/ballots?number=999")
    assert r.status_code == 404 and "нет бюллетеня № 999" in r.get_data(as_text=True)
    r = client.get(f"/office/{office.id}/meetings/{m.id}/ballots?number=abc")
    assert r.status_code == 404


def test_members_meeting_counts_only_members(meeting, client, office):
    app, m, q = meeting["app"], meeting["meeting"], meeting["q"]
    with app.app_context():
        m.kind = "members"
        m.save()
    e = meeting["entries"]
    base = f"/office/{office.id}/meetings/{m.id}"
    for owner in ("Иванова А. А.", "Петров П. П."):
        client.post(base + f"/ballots/{e[owner].id}", data=vote_form(q, "for", "for", "for"))
    with app.app_context():
        result = count_meeting(m)
    # members: Иванов 50, Петров 100, Сидоров 50 = 200; Иванова is no member
    assert result.count.total == D("200.00") and result.count.turnout == D("100.00")
    assert not result.count.quorum


def test_at_a_members_meeting_a_non_member_cannot_vote_online(meeting, client):
    app, m, q = meeting["app"], meeting["meeting"], meeting["q"]
    with app.app_context():
        m.kind = "members"
        m.save()
        login_as(client, "100001")  # Иванов is a member, Иванова is not
    page = client.get(f"/cabinet/meetings/{m.id}").get_data(as_text=True)
    assert "в реестре Иванова А. А. не отмечен(а) как член товарищества" in page
    ivanova = meeting["entries"]["Иванова А. А."].id
    r = client.post(f"/cabinet/meetings/{m.id}/vote/{ivanova}",
                    data=vote_form(q, "for", "for", "for"))
    assert r.status_code == 302
    ivanov = meeting["entries"]["Иванов И. И."].id
    assert client.post(f"/cabinet/meetings/{m.id}/vote/{ivanov}",
                       data=vote_form(q, "for", "for", "for")).status_code == 302
    with app.app_context():
        assert {v.entry_id for v in Vote.select()} == {ivanov}
