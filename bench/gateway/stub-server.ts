/** Child process: the OpenAI-compatible stub, recording nothing. Sends its URL to the parent over IPC. */
import { startOpenAIStub } from '../../tools/openai-stub/src/server.ts';

const stub = await startOpenAIStub({ recordLimit: 0 });
process.send!({ url: stub.url });
// The parent's IPC channel closing (it ended or crashed) ends the stub too.
process.on('disconnect', () => void stub.close().finally(() => process.exit(0)));
