"""Files larger than a platform accepts in one upload (an export, a server's questions): compressed,
and if that is not enough, split into numbered parts, each within the limit. Nothing is dropped."""

from __future__ import annotations

import asyncio
import gzip
from dataclasses import replace

from bot.core import replies
from bot.core.replies import File, Reply


def packed(file: File, limit: int) -> list[File]:
    """`file` itself if it fits, else gzip-compressed, else the compressed bytes in numbered parts."""
    if len(file.data) <= limit:
        return [file]
    data = gzip.compress(file.data, compresslevel=6, mtime=0)
    name = f"{file.filename}.gz"
    if len(data) <= limit:
        return [File(name, data, file.description)]
    chunks = [data[start : start + limit] for start in range(0, len(data), limit)]
    width = len(str(len(chunks)))  # zero-padded, so `cat name.part*` joins them in order
    return [
        File(f"{name}.part{index:0{width}d}of{len(chunks)}", chunk, file.description)
        for index, chunk in enumerate(chunks, 1)
    ]


async def within(reply: Reply, limit: int) -> list[Reply]:
    """`reply` as one or more replies whose files are each at most `limit` bytes: the reply itself
    when everything fits, else the reply carrying the first upload, with a note saying how to open
    what was compressed or split, then one reply per further upload."""
    if all(len(f.data) <= limit for f in reply.files):
        return [reply]
    groups = await asyncio.to_thread(lambda: [packed(f, limit) for f in reply.files])  # CPU-bound: off the loop
    notes = [
        replies.upload_note([f.filename for f in group], limit)
        for original, group in zip(reply.files, groups)
        if group != [original]
    ]
    body = "\n".join([reply.body, *notes]) if reply.body else "\n".join(notes)
    first, *rest = [f for group in groups for f in group]
    return [replace(reply, body=body, files=(first,)), *(Reply(title="", kind="info", files=(f,)) for f in rest)]
