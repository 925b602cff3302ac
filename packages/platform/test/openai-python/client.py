"""The official `openai` Python client against an Aspora gateway, unchanged: base URL and the
platform token from the environment. Prints one JSON document of what it saw (openai-python.test.ts
asserts on it)."""
import json
import os

import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["ASPORA_BASE_URL"], api_key=os.environ["ASPORA_TOKEN"], max_retries=0)
out = {"version": openai.__version__}

raw = client.chat.completions.with_raw_response.create(model="fast", messages=[{"role": "user", "content": "hello from python"}])
done = raw.parse()
out["completion"] = {
    "content": done.choices[0].message.content,
    "model": done.model,
    "prompt_tokens": done.usage.prompt_tokens,
    "provider": raw.headers.get("x-aspora-provider"),
}

text, chunks, usage = "", 0, None
for c in client.chat.completions.create(model="fast", messages=[{"role": "user", "content": "stream from python"}], stream=True, stream_options={"include_usage": True}):
    chunks += 1
    if c.choices and c.choices[0].delta.content:
        text += c.choices[0].delta.content
    if c.usage:
        usage = c.usage.total_tokens
out["stream"] = {"text": text, "chunks": chunks, "total_tokens": usage}

emb = client.embeddings.create(model="fast", input=["block a payment", "refund"])
out["embeddings"] = {"count": len(emb.data), "dims": len(emb.data[0].embedding)}
out["models"] = sorted(m.id for m in client.models.list())

errors = {}
try:
    client.chat.completions.create(model="fast", messages=[])
except openai.BadRequestError as e:
    errors["bad_request"] = {"status": e.status_code, "param": e.param, "code": e.code}
try:
    OpenAI(base_url=os.environ["ASPORA_BASE_URL"], api_key="wrong", max_retries=0).models.list()
except openai.AuthenticationError as e:
    errors["unauthenticated"] = {"status": e.status_code}
out["errors"] = errors
print(json.dumps(out))
