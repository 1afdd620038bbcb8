"""An OpenAI-compatible chat endpoint (`POST {LLM_BASE_URL}/chat/completions`; Ollama, vLLM and others
serve one), as the core's `ChatModel` port. The API key is a secret: sent, never logged."""

from __future__ import annotations

import json

import aiohttp

MAX_REPLY_BYTES = 64 * 1024


class OpenAICompatible:
    def __init__(self, base_url: str, model: str, api_key: str | None, timeout: float):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._api_key = api_key
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"OpenAICompatible(url={self.url!r}, model={self.model!r})"

    async def complete(self, system: str, user: str) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0,
        }
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
            async with session.post(self.url, json=body, headers=headers) as response:
                response.raise_for_status()
                raw = await response.content.read(MAX_REPLY_BYTES + 1)
        if len(raw) > MAX_REPLY_BYTES:
            raise ValueError("the model's reply is too large")
        content = json.loads(raw)["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise ValueError("the model's reply has no text")
        return content
