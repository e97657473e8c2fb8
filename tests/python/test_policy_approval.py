"""The approval round trip with the official `openai` Python SDK as the client.

A policy requires approval for model PARAPET_MODEL. The SDK raises PermissionDeniedError
(403, code approval_required) carrying the approval id; a person approves it on the admin API
with their own key; the same call retried with `X-Parapet-Approval` goes through exactly once.

Environment: PARAPET_BASE_URL, PARAPET_KEY (the requester's key), PARAPET_MODEL,
PARAPET_ADMIN_URL, PARAPET_APPROVER_KEY. Run by tests/tests/python_policy.rs.
"""

import json
import os
import urllib.request

import openai
import pytest

BASE_URL = os.environ["PARAPET_BASE_URL"]
KEY = os.environ["PARAPET_KEY"]
MODEL = os.environ["PARAPET_MODEL"]
ADMIN_URL = os.environ["PARAPET_ADMIN_URL"]
APPROVER_KEY = os.environ["PARAPET_APPROVER_KEY"]


@pytest.fixture
def client():
    return openai.OpenAI(base_url=BASE_URL, api_key=KEY, max_retries=0, timeout=30)


def approve(approval_id, bearer=APPROVER_KEY):
    req = urllib.request.Request(
        f"{ADMIN_URL}/api/v1/approvals/{approval_id}/approve",
        data=json.dumps({"justification": "reviewed by the desk head"}).encode(),
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


def ask(text):
    return [{"role": "user", "content": text}]


def pending_approval(client, **kwargs):
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(model=MODEL, **kwargs)
    err = info.value
    assert err.status_code == 403
    assert err.code == "approval_required"
    body = err.response.json()["error"]
    assert body["approval_id"]
    return body["approval_id"]


def test_an_approved_call_goes_through_once(client):
    messages = ask("move the limit to 2M")
    approval_id = pending_approval(client, messages=messages)

    # Not approved yet: the retry is still refused.
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(
            model=MODEL, messages=messages, extra_headers={"X-Parapet-Approval": approval_id}
        )
    assert info.value.code == "approval_required"

    decided = approve(approval_id)
    assert decided["status"] == "approved"

    # Another body with the same approval is refused.
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(
            model=MODEL, messages=ask("something else"), extra_headers={"X-Parapet-Approval": approval_id}
        )
    assert info.value.code == "approval_invalid"

    resp = client.chat.completions.create(
        model=MODEL, messages=messages, extra_headers={"X-Parapet-Approval": approval_id}
    )
    assert resp.choices[0].message.content == "move the limit to 2M"

    # Single use.
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(
            model=MODEL, messages=messages, extra_headers={"X-Parapet-Approval": approval_id}
        )
    assert info.value.code == "approval_invalid"


def test_a_streamed_call_is_approved_the_same_way(client):
    messages = ask("stream it")
    approval_id = pending_approval(client, messages=messages, stream=True)
    approve(approval_id)
    stream = client.chat.completions.create(
        model=MODEL, messages=messages, stream=True, extra_headers={"X-Parapet-Approval": approval_id}
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "stream it"


def test_the_requester_cannot_approve_their_own_call(client):
    approval_id = pending_approval(client, messages=ask("approve myself"))
    with pytest.raises(urllib.error.HTTPError) as info:
        approve(approval_id, bearer=KEY)
    assert info.value.code == 403
    assert json.loads(info.value.read())["error"]["code"] == "approver_is_requester"
