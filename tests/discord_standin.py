"""A local stand-in for Discord: the gateway websocket and the REST endpoints newsbot calls.

It binds to 127.0.0.1, records every REST request, and answers like Discord does (echoing what the
bot sent, with ids and timestamps). It never produces answers itself. Tests and
bench/discord_load.py drive it: `dispatch()` sends gateway events such as INTERACTION_CREATE, and
`probe_loop_lag()` asks the bot for a heartbeat, which discord.py sends from its event loop, so the
round trip shows how long that loop was busy.
"""

import asyncio
import base64
import itertools
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import WSMsgType, web

SEED_ARTICLE = Path(__file__).resolve().parent.parent / "corpus" / "000_524f35506ab6ae2d.md"
DISCORD_EPOCH_MS = 1420070400000
BOT_ID = 1100000000000000001
APP_ID = BOT_ID
GUILD_ID = 1100000000000000100
CHANNEL_ID = 1100000000000000200
OTHER_CHANNEL_ID = 1100000000000000201
# A second server, on the other shard of two ((id >> 22) % 2), for the sharding tests.
SECOND_GUILD_ID = GUILD_ID + (1 << 22)
SECOND_CHANNEL_ID = 1100000000000000202
USER_ID = 1100000000000000300
DM_CHANNEL_ID = 1100000000000000600
ROLE_ID = 1100000000000000400
ASK_COMMAND_ID = 1100000000000000500
ALL_PERMISSIONS = str((1 << 50) - 1)
NEWSBOT = str(Path(sys.executable).with_name("newsbot"))


def bot_token(bot_id: int = BOT_ID) -> str:
    """A token of the real shape (base64 of the bot id, then two more parts); not a secret."""
    first = base64.urlsafe_b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{first}.StandIn.{'t' * 27}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str, bot: bool = False) -> dict:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "flags": 0,
    }


BOT_USER = user(BOT_ID, "newsbot", bot=True)


@dataclass
class Request:
    method: str
    path: str
    query: dict
    json: dict | list | None
    authorization: str
    at: float = field(default_factory=time.monotonic)


class DiscordStandIn:
    def __init__(self, heartbeat_interval_ms: int = 41250):
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.requests: list[Request] = []
        self.identified = asyncio.Event()
        self.ready = asyncio.Event()
        self.identify: dict | None = None
        self.identifies: list[dict] = []  # every IDENTIFY, in order
        self.shard_ready: dict[int, asyncio.Event] = {}
        self._ws: web.WebSocketResponse | None = None  # the latest connection
        self._shards: dict[int, web.WebSocketResponse] = {}  # shard id -> its connection
        self._sequence = itertools.count(1)
        self._ids = itertools.count(1)
        self._client_heartbeat = asyncio.Event()
        self._request_seen = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.threads: dict[int, dict] = {}
        self.messages: list[dict] = []  # every message the bot posted or edited, as Discord returned it
        self.forbidden_channels: set[int] = set()  # posting or editing there answers 403 Missing Permissions

    # Lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> "DiscordStandIn":
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for ws in {*self._shards.values(), *([self._ws] if self._ws else [])}:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) + next(self._ids)

    async def start_newsbot(
        self, data_dir: Path, log_path: Path, timeout: float, *args: str, shard: int | None = None, **env: str
    ) -> asyncio.subprocess.Process:
        """The real `newsbot discord` process (with `args`) pointed at this stand-in, returned once
        it has handled READY and GUILD_CREATE (of `shard`, if given). Its output goes to `log_path`,
        which a failure quotes."""
        environment = {
            **os.environ,
            "DISCORD_TOKEN": bot_token(),
            "NEWSBOT_DISCORD_TEST_SERVER": self.url,
            "NEWSBOT_DATA_DIR": str(data_dir),
            # The seed article alone: indexing the whole bundled corpus would take minutes.
            "NEWSBOT_SOURCES": str(SEED_ARTICLE),
            **env,
        }
        # A file, not a pipe: a pipe nobody reads would block the bot once full.
        with open(log_path, "wb") as log:
            process = await asyncio.create_subprocess_exec(
                NEWSBOT,
                "discord",
                *args,
                env=environment,
                cwd=data_dir.parent,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        event = self.ready if shard is None else self.shard_ready.setdefault(shard, asyncio.Event())
        ready, exited = asyncio.ensure_future(event.wait()), asyncio.ensure_future(process.wait())
        await asyncio.wait({ready, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        if not ready.done():
            ready.cancel()
            if process.returncode is None:
                process.terminate()
                await process.wait()
            raise RuntimeError(f"the bot did not connect (exit status {process.returncode}):\n{log_path.read_text()}")
        await self.probe_loop_lag(shard)  # answered only after the events before it were handled
        return process

    # Gateway -----------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 1:
                self._client_heartbeat.set()
                await ws.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2:
                self.identify = payload["d"]
                self.identifies.append(payload["d"])
                shard, count = payload["d"].get("shard") or [0, 1]
                self._shards[shard] = ws
                self.identified.set()
                await self._ready(shard, count)
        return ws

    async def _ready(self, shard: int, count: int) -> None:
        """READY and a GUILD_CREATE per server on `shard`: with one shard only the first server,
        as the single-process tests expect; with more, each server goes to its own shard."""
        guilds = [GUILD_ID] if count == 1 else [g for g in (GUILD_ID, SECOND_GUILD_ID) if (g >> 22) % count == shard]
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": BOT_USER,
                "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                "session_id": f"standin-session-{shard}",
                "resume_gateway_url": self.url.replace("http", "ws") + "/gateway",
                "application": {"id": str(APP_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "shard": [shard, count],
            },
            shard=shard,
        )
        for guild_id in guilds:
            await self.dispatch("GUILD_CREATE", self.guild(guild_id), shard=shard)
        self.shard_ready.setdefault(shard, asyncio.Event()).set()
        self.ready.set()

    def shard_of(self, guild_id: int) -> int | None:
        """The shard whose connection carries `guild_id`'s events, or None with one connection."""
        count = (self.identify or {}).get("shard", [0, 1])[1]
        return (guild_id >> 22) % count if count > 1 else None

    async def _send(self, payload: dict, shard: int | None = None) -> None:
        ws = self._ws if shard is None else self._shards[shard]
        if ws is None:
            return  # a bot driven over REST alone, with no gateway connection, gets no events
        await ws.send_str(json.dumps(payload))

    async def dispatch(self, event: str, data: dict, shard: int | None = None) -> None:
        """Send a gateway event on `shard`'s connection (default: the latest connection)."""
        await self._send({"op": 0, "t": event, "s": next(self._sequence), "d": data}, shard)

    async def probe_loop_lag(self, shard: int | None = None) -> float:
        """Milliseconds until the bot answers a heartbeat request (op 1) from its event loop."""
        self._client_heartbeat.clear()
        started = time.perf_counter()
        await self._send({"op": 1, "d": None}, shard)
        await self._client_heartbeat.wait()
        return (time.perf_counter() - started) * 1000

    # Gateway payloads --------------------------------------------------------------------------

    def guild(self, guild_id: int = GUILD_ID) -> dict:
        channels = (
            [(CHANNEL_ID, "news"), (OTHER_CHANNEL_ID, "off-topic")]
            if guild_id == GUILD_ID
            else [(SECOND_CHANNEL_ID, "news")]
        )
        return {
            "id": str(guild_id),
            "name": "Newsroom" if guild_id == GUILD_ID else "Second newsroom",
            "unavailable": False,
            "owner_id": str(USER_ID),
            "joined_at": now_iso(),
            "large": False,
            "member_count": 2,
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "threads": [],
            "icon": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "roles": [
                {
                    "id": str(guild_id),
                    "name": "@everyone",
                    "permissions": ALL_PERMISSIONS,
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                {
                    "id": str(ROLE_ID),
                    "name": "editors",
                    "permissions": "0",
                    "position": 1,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": True,
                    "flags": 0,
                },
            ],
            "channels": [
                {
                    "id": str(channel_id),
                    "type": 0,
                    "name": name,
                    "position": n,
                    "permission_overwrites": [],
                    "guild_id": str(guild_id),
                    "nsfw": False,
                    "parent_id": None,
                    "rate_limit_per_user": 0,
                }
                for n, (channel_id, name) in enumerate(channels)
            ],
            "members": [self.member(BOT_USER)],
        }

    def member(self, member_user: dict, permissions: str = ALL_PERMISSIONS) -> dict:
        return {
            "user": member_user,
            "roles": [],
            "joined_at": now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": permissions,
            "nick": None,
            "avatar": None,
        }

    def interaction(
        self,
        name: str,
        options: dict | None = None,
        channel_id: int = CHANNEL_ID,
        user_id: int = USER_ID,
        permissions: str = ALL_PERMISSIONS,
        guild_id: int = GUILD_ID,
    ) -> dict:
        """An INTERACTION_CREATE payload for slash command `name` in the guild."""
        if guild_id == SECOND_GUILD_ID and channel_id == CHANNEL_ID:
            channel_id = SECOND_CHANNEL_ID
        return {
            "id": str(self.snowflake()),
            "application_id": str(APP_ID),
            "type": 2,
            "version": 1,
            "token": f"interaction-token-{self.snowflake()}",
            "guild_id": str(guild_id),
            "channel_id": str(channel_id),
            "channel": {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "news",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            },
            "member": self.member(user(user_id, f"reader{user_id % 1000}"), permissions),
            "app_permissions": ALL_PERMISSIONS,
            "locale": "en-GB",
            "guild_locale": "en-GB",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": {
                "id": str(ASK_COMMAND_ID),
                "name": name,
                "type": 1,
                "options": [{"name": key, "type": 3, "value": value} for key, value in (options or {}).items()],
            },
        }

    def button_click(self, custom_id: str, message: dict, user_id: int = USER_ID) -> dict:
        """An INTERACTION_CREATE payload for a click on a button of `message`."""
        payload = self.interaction("", user_id=user_id)
        payload.update(type=3, message=message, data={"custom_id": custom_id, "component_type": 2})
        return payload

    def message(
        self,
        content: str,
        channel_id: int = CHANNEL_ID,
        user_id: int = USER_ID,
        mentions: list[dict] | None = None,
        bot: bool = False,
        guild: bool = True,
        guild_id: int = GUILD_ID,
    ) -> dict:
        """A MESSAGE_CREATE payload from a member (or a DM when guild=False)."""
        author = user(user_id, f"reader{user_id % 1000}", bot=bot)
        data = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions if mentions is not None else [BOT_USER] if f"<@{BOT_ID}>" in content else [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if guild:
            data["guild_id"] = str(guild_id)
            data["member"] = {key: value for key, value in self.member(author).items() if key != "user"}
        return data

    # REST --------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body = await request.read()
        payload = None
        if body and request.content_type == "application/json":
            payload = json.loads(body)
        elif body and request.content_type.startswith("multipart/"):
            payload = _multipart_payload(body)
        recorded = Request(request.method, path, dict(request.query), payload, request.headers.get("Authorization", ""))
        async with self._request_seen:
            self.requests.append(recorded)
            self._request_seen.notify_all()
        return await self._respond(recorded)

    async def _respond(self, r: Request) -> web.StreamResponse:
        if r.method == "GET" and r.path == "/users/@me":
            return _json(BOT_USER)
        if r.method == "GET" and r.path in ("/oauth2/applications/@me", "/applications/@me"):
            return _json(
                {
                    "id": str(APP_ID),
                    "name": "newsbot",
                    "icon": None,
                    "description": "",
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": user(USER_ID, "owner"),
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "summary": "",
                    "rpc_origins": [],
                    "team": None,
                }
            )
        if r.method == "GET" and r.path in ("/gateway", "/gateway/bot"):
            return _json(
                {
                    "url": self.url.replace("http", "ws") + "/gateway",
                    "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
                }
            )
        if match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", r.path):
            kind = r.json.get("type")
            data = r.json.get("data") or {}
            ephemeral = bool(data.get("flags", 0) & 64)
            resource = {"type": kind}
            if kind == 4:
                resource["message"] = self._message_from(r.json.get("data") or {}, CHANNEL_ID, webhook=True)
            return _json(
                {
                    "interaction": {
                        "id": match.group(1),
                        "type": 2,
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": ephemeral,
                    },
                    "resource": resource,
                }
            )
        if re.fullmatch(r"/webhooks/\d+/[^/]+(/messages/@original)?", r.path) and r.method in ("PATCH", "POST"):
            return _json(self._message_from(r.json or {}, CHANNEL_ID, webhook=True))
        if match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", r.path):
            guild_id = SECOND_GUILD_ID if int(match.group(1)) == SECOND_CHANNEL_ID else GUILD_ID
            thread = {
                "id": match.group(2),
                "guild_id": str(guild_id),
                "parent_id": match.group(1),
                "owner_id": str(BOT_ID),
                "name": r.json.get("name", ""),
                "type": 11,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "message_count": 0,
                "member_count": 1,
                "flags": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": now_iso(),
                    "locked": False,
                },
            }
            self.threads[int(thread["id"])] = thread
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True}, shard=self.shard_of(guild_id))
            return _json(thread, status=201)
        if r.method == "POST" and r.path == "/users/@me/channels":
            return _json(
                {
                    "id": str(DM_CHANNEL_ID),
                    "type": 1,
                    "last_message_id": None,
                    "recipients": [user(int(r.json["recipient_id"]), "owner")],
                }
            )
        if match := re.fullmatch(r"/channels/(\d+)/messages", r.path):
            if r.method == "POST" and int(match.group(1)) in self.forbidden_channels:
                return _json({"message": "Missing Permissions", "code": 50013}, status=403)
            if r.method == "POST":
                return _json(self._message_from(r.json or {}, int(match.group(1))))
            return _json([])
        if re.fullmatch(r"/channels/\d+/typing", r.path):
            return web.Response(status=204)
        if re.fullmatch(r"/channels/\d+/messages/\d+", r.path) and r.method == "DELETE":
            return web.Response(status=204)
        if match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", r.path):
            if r.method == "PATCH" and int(match.group(1)) in self.forbidden_channels:
                return _json({"message": "Missing Permissions", "code": 50013}, status=403)
            if r.method == "PATCH":
                return _json(self._message_from(r.json or {}, int(match.group(1)), message_id=int(match.group(2))))
        if re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", r.path) and r.method == "PUT":
            return _json(
                [
                    {**command, "id": str(self.snowflake()), "application_id": str(APP_ID), "version": "1"}
                    for command in r.json
                ]
            )
        return _json({"message": "Unknown route in the stand-in", "code": 0}, status=404)

    def _message_from(self, sent: dict, channel_id: int, webhook: bool = False, message_id: int | None = None) -> dict:
        """The message the bot sent, or edited when `message_id` is given."""
        message = {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id),
            "author": BOT_USER,
            "content": sent.get("content") or "",
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": sent.get("embeds") or [],
            "components": sent.get("components") or [],
            "pinned": False,
            "type": 0 if not sent.get("message_reference") else 19,
            "flags": sent.get("flags", 0),
        }
        if webhook:
            message["webhook_id"] = str(APP_ID)
            message["application_id"] = str(APP_ID)
        self.messages.append(message)
        return message

    # Assertions --------------------------------------------------------------------------------

    async def wait_for_request(self, predicate, timeout: float = 60, after: int = 0) -> Request:
        """The first recorded request (from index `after` on) that satisfies `predicate`."""

        async def find():
            async with self._request_seen:
                while True:
                    for request in self.requests[after:]:
                        if predicate(request):
                            return request
                    await self._request_seen.wait()

        return await asyncio.wait_for(find(), timeout)


def _multipart_payload(body: bytes) -> dict | None:
    match = re.search(rb'name="payload_json"\r\n(?:Content-Type: [^\r]*\r\n)?\r\n(.*?)\r\n--', body, re.DOTALL)
    return json.loads(match.group(1)) if match else None


def _json(data, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json, as
    # Discord sends it; aiohttp's json_response would add "; charset=utf-8".
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})
