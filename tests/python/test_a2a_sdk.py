"""The official `a2a-sdk` Python client against the gateway's A2A proxy.

Environment:
  PARAPET_A2A_CARD_URL            card to resolve, e.g. http://127.0.0.1:G/a2a/payments/.well-known/agent-card.json
  PARAPET_A2A_KEY                 virtual key, sent as `Authorization: Bearer`
  PARAPET_A2A_CRED_ALLOWED        agent credential with `initiate_payments`, 10,000 USD cap
  PARAPET_A2A_CRED_READONLY       agent credential with only `read_only`
  PARAPET_A2A_AGENT_RECEIVED_URL  the downstream agent's /_received (see a2a_agent.py)
  PARAPET_A2A_DIRECT=1            optional: CARD_URL is the agent itself, not the gateway; the
                                  gateway-only cases (denials, header stripping) are skipped and
                                  KEY/CRED_* may be left unset.
Without CARD_URL and RECEIVED_URL the module is skipped.

The skill a message is for travels in `message.metadata.skill`; the agent credential in the
`X-Agent-Credential` header.
"""

import asyncio
import os
from urllib.parse import urlsplit

import httpx
import pytest

from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.helpers import get_data_parts, get_message_text, get_stream_response_text, new_data_part, new_text_part
from a2a.types.a2a_pb2 import GetTaskRequest, Message, Role, SendMessageRequest, TaskState
from a2a.utils.errors import A2AError

DIRECT = os.environ.get("PARAPET_A2A_DIRECT") == "1"
CARD_URL = os.environ.get("PARAPET_A2A_CARD_URL")
RECEIVED_URL = os.environ.get("PARAPET_A2A_AGENT_RECEIVED_URL")
KEY = os.environ.get("PARAPET_A2A_KEY", "direct-key" if DIRECT else None)
CRED_ALLOWED = os.environ.get("PARAPET_A2A_CRED_ALLOWED", "direct-cred" if DIRECT else None)
CRED_READONLY = os.environ.get("PARAPET_A2A_CRED_READONLY", "direct-readonly" if DIRECT else None)

if not all([CARD_URL, RECEIVED_URL, KEY, CRED_ALLOWED, CRED_READONLY]):
    pytest.skip("PARAPET_A2A_* not set (run through the gateway harness)", allow_module_level=True)

gateway_only = pytest.mark.skipif(DIRECT, reason="needs the gateway (PARAPET_A2A_DIRECT=1)")

def run(coro):
    return asyncio.run(coro)


async def call(credential, action, *, streaming):
    """Resolves the card and runs `action(client, card)` with the key and credential as headers."""
    headers = {"Authorization": f"Bearer {KEY}", "X-Agent-Credential": credential}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        # The factory adds `A2A-Version: 1.0` to the shared httpx client's headers.
        factory = ClientFactory(ClientConfig(httpx_client=http, streaming=streaming))
        card = await A2ACardResolver(http, CARD_URL, agent_card_path="").get_agent_card()
        client = factory.create(card)
        try:
            return await action(client, card)
        finally:
            await client.close()


def wire_request(amount_usd, text="please wire the money"):
    message = Message(
        role=Role.ROLE_USER,
        message_id=os.urandom(8).hex(),
        parts=[new_text_part(text), new_data_part({"amount_usd": amount_usd, "account_id": "ACC-1"})],
    )
    message.metadata.update({"skill": "wire_transfer"})
    return SendMessageRequest(message=message)


async def collect(client, request):
    return [event async for event in client.send_message(request)]


def send(credential, amount_usd, *, streaming):
    return run(call(credential, lambda c, _card: collect(c, wire_request(amount_usd)), streaming=streaming))


def expect_denial(credential, amount_usd, *, streaming, reason):
    with pytest.raises(A2AError) as caught:
        events = send(credential, amount_usd, streaming=streaming)
        print("unexpected events:", events)
    err = caught.value
    # Printed for alignment with the gateway.
    print(f"denial -> {type(err).__name__}: {err} data={getattr(err, 'data', None)!r}")
    seen = f"{err} {getattr(err, 'data', None)!r}"
    assert reason in seen, f"expected {reason!r} in {seen!r}"


async def card_only(_client, card):
    return card


@pytest.fixture(scope="module")
def allowed_send():
    """The allowed non-streaming call, made once and shared by the cases that inspect its task."""
    return send(CRED_ALLOWED, 9999, streaming=False)


# --- cases --------------------------------------------------------------------------------------


def test_card_points_every_interface_at_the_gateway():
    card = run(call(CRED_ALLOWED, card_only, streaming=False))
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(CARD_URL))
    urls = [i.url for i in card.supported_interfaces]
    print("interfaces:", [(i.url, i.protocol_binding, i.protocol_version) for i in card.supported_interfaces])
    assert urls, "card has no supportedInterfaces"
    assert all(u.startswith(origin) for u in urls), urls
    assert {s.id for s in card.skills} >= {"account_lookup", "wire_transfer"}
    assert card.capabilities.streaming


def test_send_message_within_cap_completes_with_the_echo(allowed_send):
    events = allowed_send
    assert len(events) == 1 and events[0].HasField("task"), events
    task = events[0].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert get_message_text(task.status.message) == "echo: please wire the money"
    assert get_stream_response_text(events[0]).startswith("echo: please wire the money")
    echoed = [d for a in task.artifacts for d in get_data_parts(a.parts)]
    # protobuf Value keeps numbers as doubles: 9999 comes back as 9999.0 (== 9999 in Python)
    assert echoed == [{"amount_usd": 9999, "account_id": "ACC-1"}], echoed


def test_get_task_through_the_proxy(allowed_send):
    task_id = allowed_send[0].task.id
    task = run(call(CRED_ALLOWED, lambda c, _card: c.get_task(GetTaskRequest(id=task_id)), streaming=False))
    assert task.id == task_id
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert get_message_text(task.status.message) == "echo: please wire the money"


def test_streaming_yields_several_events_ending_completed():
    events = send(CRED_ALLOWED, 9999, streaming=True)
    print("stream:", [e.WhichOneof("payload") for e in events])
    assert len(events) > 1
    assert any(e.HasField("artifact_update") for e in events)
    last = events[-1]
    assert last.HasField("status_update"), last
    assert last.status_update.status.state == TaskState.TASK_STATE_COMPLETED
    assert get_message_text(last.status_update.status.message) == "echo: please wire the money"


@gateway_only
@pytest.mark.parametrize("streaming", [False, True], ids=["send", "stream"])
def test_over_the_cap_is_refused(streaming):
    expect_denial(CRED_ALLOWED, 10001, streaming=streaming, reason="amount_over_limit")


@gateway_only
@pytest.mark.parametrize("streaming", [False, True], ids=["send", "stream"])
def test_read_only_credential_cannot_wire(streaming):
    expect_denial(CRED_READONLY, 1, streaming=streaming, reason="scope_not_granted")


def received_sends():
    entries = httpx.get(RECEIVED_URL, timeout=10).json()
    sends = [e for e in entries if e["method"] in ("SendMessage", "SendStreamingMessage")]
    assert sends, f"the agent saw no SendMessage: {entries}"
    return sends


def test_agent_received_the_a2a_version_header(allowed_send):
    for entry in received_sends():
        assert entry["headers"]["a2a-version"] == "1.0", entry


@gateway_only
def test_agent_did_not_receive_the_callers_credentials(allowed_send):
    for entry in received_sends():
        headers = entry["headers"]
        assert headers["x-agent-credential"] is None, entry
        assert headers["authorization"] != f"Bearer {KEY}", entry
