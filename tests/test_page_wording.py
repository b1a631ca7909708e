"""Words the pages show that a person reads literally: a count's noun agrees with it, and an
empty queue says whether nothing is waiting or the filters hide what is (ux14's demo walk)."""

from __future__ import annotations

import re
from typing import Any

from tests.test_conversations_web import ADMIN, client_for, demo  # noqa: F401 (fixture)
from tests.test_web import csrf_of


def _met_line(html: str) -> str:
    return re.search(r'id="total-met">\d+</span>\s*([^<·]+)', html).group(1).strip()  # type: ignore


def test_dashboard_says_one_message_answered_not_one_messages(demo: Any) -> None:  # noqa: F811
    admin = client_for(demo, ADMIN)
    assert _met_line(admin.get("/admin").text) == "messages answered"  # 0 messages
    rows = [r for r in demo.store.export_rows()
            if r["sender"] == "mark.tan@example.com"]  # a one-message conversation
    mid = int(rows[0]["id"])
    html = admin.get(f"/messages/{mid}").text
    r = admin.post(f"/messages/{mid}/approve", data={
        "csrf_token": csrf_of(html), "subject": "Re: your address",
        "text": "Hi Mark, open Account > Addresses and edit it there. Demo Support"})
    assert r.status_code == 200
    dash = admin.get("/admin").text
    assert 'id="total-met">1<' in dash
    assert _met_line(dash) == "message answered"


def test_a_filter_that_hides_every_row_does_not_say_nothing_is_waiting(
        demo: Any) -> None:  # noqa: F811
    client = client_for(demo)
    everything = client.get("/queue").text
    assert 'class="row' in everything
    hidden = client.get("/queue", params={"category": "suggestion", "language": "vi",
                                          "state": "breached"}).text
    assert 'class="row' not in hidden
    assert "Nothing waiting" not in hidden
    assert "No open conversation matches these filters" in hidden
    assert 'href="/queue"' in hidden
    rows = client.get("/queue/rows", params={"q": "zzqxvw"}).text
    assert "Nothing waiting" not in rows and "matches these filters" in rows


def test_a_refusal_in_the_browser_is_a_page_with_a_way_back(demo: Any) -> None:  # noqa: F811
    """An agent who opens an admin page, a message number that does not exist or a mistyped
    address got a bare text (or JSON) body with no way back; scripts keep theirs."""
    agent = client_for(demo)
    for path, code, words in (("/admin", 403, "this page is for admins"),
                              ("/messages/99999", 404, "message 99999 does not exist"),
                              ("/no-such-page", 404, "there is no page at /no-such-page")):
        r = agent.get(path)
        assert r.status_code == code, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert words in r.text and 'href="/queue"' in r.text, path
        assert 'class="who">ann' in r.text, path  # still signed in: the header says who
    api = agent.get("/api/messages/99999")
    assert api.status_code == 404 and api.json()["detail"] == "message 99999 does not exist"
    partial = agent.get("/messages/99999", headers={"HX-Request": "true"})
    assert partial.status_code == 404 and partial.text == "message 99999 does not exist"


def test_policy_errors_name_the_field_as_the_form_heads_it(demo: Any) -> None:  # noqa: F811
    """A refused policy said "target email: ..." and "override email technical issue: ...",
    the form's field names; the admin reads the column headings."""
    admin = client_for(demo, ADMIN)
    page = admin.get("/admin/policies").text
    form = {k: v for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', page)
            if k != "csrf_token"}
    bad = admin.post("/admin/policies", data={
        **form, "csrf_token": csrf_of(page), "target_email": "0m", "warn_social": "2h",
        "override_email_technical_issue": "1m"})
    assert bad.status_code == 422
    errors = bad.text.split('id="policy-errors"')[1].split("</ul>")[0]
    assert "email: first response within: must be more than 0" in errors
    assert "social: due soon from: must be shorter than the target" in errors
    assert "email, technical issue: first response within: must be longer" in errors
    assert "target email" not in errors and "override" not in errors
