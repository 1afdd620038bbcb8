"""A server's or workspace's own questions: import (YAML, same format and messages as the bank),
list, export and remove. Only admins may change them; the adapter checks too, the core decides."""

from __future__ import annotations

import yaml

from bot.core.errors import InvalidInput, NotAllowed
from bot.core.ports import Clock
from bot.core.replies import Reply
from question_bank.isolated import IsolatedParser
from question_bank.loader import InvalidBank
from question_bank.schema import SCHEMA_VERSION
from storage.repositories import Store

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_QUESTIONS = 500
MAX_TENANT_QUESTIONS = 2000


class PlainDumper(yaml.SafeDumper):
    """Writes every value out: imports refuse anchors and aliases, so an export never contains one."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def check_import_size(filename: str, size: int) -> None:
    """Adapters call this with the size a platform reports, before downloading the file."""
    if size > MAX_IMPORT_BYTES:
        raise InvalidInput(f"{filename} is {size / 1024:.0f} KiB; imports are limited to 1 MiB.")


class CustomQuestionService:
    def __init__(self, store: Store, clock: Clock, parser: IsolatedParser):
        self.store = store
        self.clock = clock
        self.parser = parser  # uploaded files are parsed in a bounded child process, never on the event loop

    async def import_yaml(self, tenant: str, *, is_admin: bool, actor: str, filename: str, data: bytes) -> Reply:
        """Validate the whole file first; store nothing unless every question is valid."""
        if not is_admin:
            raise NotAllowed("Only server or workspace admins can import questions.")
        check_import_size(filename, len(data))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{filename} is not UTF-8 text; save it as UTF-8 YAML.") from None
        documents, errors = await self.parser.parse(text, filename)
        if errors:
            raise InvalidBank(errors)
        if len(documents) > MAX_IMPORT_QUESTIONS:
            raise InvalidInput(
                f"{filename} has {len(documents)} questions; one import takes at most {MAX_IMPORT_QUESTIONS}."
            )
        async with self.store.transaction() as repo:
            existing, _ = await repo.custom_stamp(tenant)
            added = await repo.save_custom(tenant, documents, actor, self.clock.now())
            if existing + added > MAX_TENANT_QUESTIONS:
                raise InvalidInput(f"A server can hold at most {MAX_TENANT_QUESTIONS} questions of its own.")
        updated = len(documents) - added
        return Reply(
            title="Questions imported",
            body=f"{added} added, {updated} updated from {filename}. Members can practise them now.",
            kind="info",
        )

    async def remove(self, tenant: str, slug: str, *, is_admin: bool) -> Reply:
        if not is_admin:
            raise NotAllowed("Only server or workspace admins can remove questions.")
        async with self.store.transaction() as repo:
            removed = await repo.delete_custom(tenant, slug)
        if not removed:
            raise InvalidInput(f"This server has no question of its own with id '{slug}'.")
        return Reply(title="Question removed", body=f"'{slug}' is no longer served. Past reviews are kept.", kind="info")

    async def export_yaml(self, tenant: str, *, is_admin: bool) -> str:
        """The tenant's questions in the import format (re-importable as is)."""
        if not is_admin:
            raise NotAllowed("Only server or workspace admins can export questions.")
        async with self.store.transaction() as repo:
            records = await repo.custom_questions(tenant)
        document = {"schema_version": SCHEMA_VERSION, "questions": [{**r.document, "id": r.slug} for r in records]}
        return yaml.dump(document, Dumper=PlainDumper, sort_keys=False, allow_unicode=True, width=100)
