"""A downstream A2A agent built on the real `a2a-sdk` server, for the gateway conformance tests.

    python3 tests/python/a2a_agent.py --port PORT

Binds 127.0.0.1:PORT, prints `ready` once listening. Serves:
  GET  /.well-known/agent-card.json  the card (JSON-RPC at http://127.0.0.1:PORT/, protocol 1.0 and 0.3)
  POST /                             JSON-RPC (v1.0 methods like SendMessage, and v0.3 ones like message/send)
  GET  /_received                    every JSON-RPC request seen so far: method and the headers
                                     A2A-Version, Authorization, X-Agent-Credential (null when absent)

For any message the agent answers with a task that goes working -> artifacts -> completed, with small
pauses so streaming is observable. The text artifact and the final status message say
`echo: <text parts>`; a second artifact carries back every data part received, unchanged.
A message whose metadata has a string `reply` is answered with that text instead of the echo (the
tests steer the answer this way without putting its words in the message's parts); with a list
`reply_chunks` as well, the text artifact is streamed as those pieces, each appended to the last
(`append: true`), the way an agent streams tokens, and the final status message says `done`;
with a list `status_chunks`, those pieces are streamed as one working-status message each and
the artifact and final message say `done`.
"""

import argparse
import asyncio
import json

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from a2a.helpers import (
    get_data_parts,
    get_message_text,
    new_data_part,
    new_task_from_user_message,
    new_text_part,
)
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types.a2a_pb2 import AgentCapabilities, AgentCard, AgentInterface, AgentSkill

STEP_DELAY = 0.1  # seconds between streamed events
RECORDED_HEADERS = ("a2a-version", "authorization", "x-agent-credential")


class EchoExecutor(AgentExecutor):
    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        message = context.message
        task = context.current_task
        if task is None:
            task = new_task_from_user_message(message)
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)

        reply = "echo: " + get_message_text(message, delimiter=" ")
        if message.HasField("metadata") and "reply" in message.metadata:
            reply = str(message.metadata["reply"])
        data = get_data_parts(message.parts)

        await updater.start_work()
        await asyncio.sleep(STEP_DELAY)
        chunks, final = [reply], reply
        if message.HasField("metadata") and "reply_chunks" in message.metadata:
            chunks, final = [str(c) for c in message.metadata["reply_chunks"]], "done"
        if message.HasField("metadata") and "status_chunks" in message.metadata:
            for c in message.metadata["status_chunks"]:
                await updater.start_work(updater.new_agent_message([new_text_part(str(c))]))
                await asyncio.sleep(STEP_DELAY / 4)
            chunks, final = ["done"], "done"
        for i, chunk in enumerate(chunks):
            await updater.add_artifact(
                [new_text_part(chunk)],
                artifact_id="echo-artifact",
                name="echo",
                append=i > 0,
                last_chunk=i == len(chunks) - 1,
            )
            await asyncio.sleep(STEP_DELAY / 4)
        await asyncio.sleep(STEP_DELAY)
        if data:
            await updater.add_artifact([new_data_part(d) for d in data], name="received_data")
            await asyncio.sleep(STEP_DELAY)
        await updater.complete(updater.new_agent_message([new_text_part(final)]))

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is not None:
            await TaskUpdater(event_queue, task.id, task.context_id).cancel()


def agent_card(port: int) -> AgentCard:
    url = f"http://127.0.0.1:{port}/"
    return AgentCard(
        name="Payments test agent",
        description="Echoes what it receives; used by the Parapet A2A conformance tests.",
        version="1.0.0",
        supported_interfaces=[
            AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0"),
            AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="0.3"),
        ],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain", "application/json"],
        default_output_modes=["text/plain", "application/json"],
        skills=[
            AgentSkill(
                id="account_lookup",
                name="Account lookup",
                description="look up balances",
                tags=["accounts"],
            ),
            AgentSkill(
                id="wire_transfer",
                name="Wire transfer",
                description="send a wire",
                tags=["payments"],
            ),
        ],
    )


class RecordRequests:
    """ASGI wrapper: notes method and headers of every POST, then replays the body to the app."""

    def __init__(self, app, received: list):
        self.app = app
        self.received = received

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        try:
            method = json.loads(body).get("method")
        except (ValueError, AttributeError):
            method = None
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.received.append(
            {"path": scope["path"], "method": method, "headers": {h: headers.get(h) for h in RECORDED_HEADERS}}
        )

        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()  # disconnect notifications etc.
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def build_app(port: int):
    card = agent_card(port)
    handler = DefaultRequestHandler(
        agent_executor=EchoExecutor(), task_store=InMemoryTaskStore(), agent_card=card
    )
    received: list = []

    async def get_received(_request):
        return JSONResponse(received)

    routes = (
        create_agent_card_routes(card)
        + create_jsonrpc_routes(handler, rpc_url="/", enable_v0_3_compat=True)
        + [Route("/_received", get_received, methods=["GET"])]
    )
    return RecordRequests(Starlette(routes=routes), received)


async def serve(port: int) -> None:
    config = uvicorn.Config(build_app(port), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await serving  # startup failed (port taken...): surface the error
            raise SystemExit(1)
        await asyncio.sleep(0.02)
    print("ready", flush=True)
    await serving


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))
