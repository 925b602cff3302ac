"""Every conversation of sdks/protocol-vectors.json, replayed with the script handler: in-process
over a socketpair, and through a real worker process with the socket on fd 3. One test method
per vector and way, generated below."""
import json
import re
import unittest
from typing import Any, Callable, Dict

from harness import HostEnd, load_vectors, start_child, start_in_process, subset

VECTORS = load_vectors()


class VectorTests(unittest.TestCase):
    def replay(self, vector: Dict[str, Any], start: Callable[[], HostEnd]) -> None:
        host = start()
        self.addCleanup(host.close)
        for i, step in enumerate(vector["steps"]):
            if "send" in step:
                host.send(step["send"])
            if "expect" not in step:
                continue
            got = host.read()
            self.assertTrue(subset(step["expect"], got), f"step {i}: expected {json.dumps(step['expect'])}\n got {json.dumps(got)}")
            if "messageContains" in step:
                self.assertIn(step["messageContains"], got["error"]["message"], f"step {i}")
        if "exitCode" not in vector:
            host.close_write()  # end of stream: the worker exits 0 as well
        self.assertEqual(host.rest(), [], "the worker wrote more than the vector expects")
        self.assertEqual(host.wait_exit(), vector.get("exitCode", 0))

    def test_the_vector_file_has_the_custom_tool_conversation(self) -> None:
        names = [v["name"] for v in VECTORS]
        self.assertGreaterEqual(len(names), 11)
        self.assertIn("a custom tool the handler exports, called by the model", names)


def _add(vector: Dict[str, Any]) -> None:
    slug = re.sub(r"\W+", "_", vector["name"]).strip("_").lower()
    setattr(VectorTests, f"test_in_process__{slug}", lambda self: self.replay(vector, start_in_process))
    setattr(VectorTests, f"test_on_fd3__{slug}", lambda self: self.replay(vector, start_child))


for _v in VECTORS:
    _add(_v)


if __name__ == "__main__":
    unittest.main()
