/**
 * The escape attempts every handler language is tested with. Each is one step of the probes
 * (probes/probe.{ts,py,go}); `blocked` says what a correct refusal looks like: the probe reports
 * ok: false (the sandbox stopped it), a host call ends in a typed denial, or the execution is
 * stopped by a limit. `$X` placeholders are filled by the test from the live fixture.
 */
export interface Attempt {
  name: string;
  step: Record<string, unknown>;
  /** Matched against the probe's detail (or the execution's error code) of a blocked attempt. */
  detail?: RegExp;
  /** The attempt may end the execution itself (limits): that counts as blocked. */
  mayEndExecution?: boolean;
  /** Runs on the probe with the short timeout. */
  short?: boolean;
  /** The call may succeed; what must not happen is that its answer contains this. */
  leaks?: RegExp;
  /** What must not happen is a process outliving the execution: checked with ps afterwards. */
  lingers?: boolean;
}

const DENIED = /PERMISSION_DENIED/;

export const ATTEMPTS: Attempt[] = [
  // Host files, directly.
  { name: 'read /etc/shadow', step: { do: 'read', path: '/etc/shadow' } },
  { name: "read the host's /etc/passwd (not mounted)", step: { do: 'read', path: '/etc/passwd' } },
  { name: 'list /root', step: { do: 'list', path: '/root' } },
  { name: "list the platform's data folder", step: { do: 'list', path: '$DATA_DIR' } },
  { name: "read the platform's database files", step: { do: 'list', path: '$DATA_DIR/db' } },
  { name: "read another skill's bundle by its host path", step: { do: 'read', path: '$OTHER_BUNDLE/DECISIONS.md' } },
  { name: 'read a blocked shared resource directly', step: { do: 'read', path: '/shared/runbooks/refund.md' } },
  { name: 'list a blocked shared folder', step: { do: 'list', path: '/shared/runbooks' } },
  { name: 'read a blocked shared resource through ../', step: { do: 'read', path: '/shared/queries/../runbooks/refund.md' } },
  // Through the host's tools: the guard resolves and checks every path.
  { name: 'tool Read of a blocked shared resource', step: { do: 'tool', op: 'read', args: { path: '/shared/runbooks/refund.md' } }, detail: DENIED },
  { name: 'tool Read out of the bundle with ../', step: { do: 'tool', op: 'read', args: { path: '../../../../etc/shadow' } }, detail: DENIED },
  { name: 'tool Read of a blocked resource through ../', step: { do: 'tool', op: 'read', args: { path: '/shared/queries/../runbooks/refund.md' } }, detail: DENIED },
  { name: 'tool Read of a host path', step: { do: 'tool', op: 'read', args: { path: '/etc/passwd' } }, detail: DENIED },
  { name: 'tool Grep over blocked files', step: { do: 'tool', op: 'grep', args: { pattern: 'runbook-secret', path: '/shared' } }, leaks: /runbook-secret/ },
  { name: 'tool Read through a symlink in /scratch to a host file', step: { do: 'symlink', target: '/etc/shadow', link: '/scratch/l1', then: { do: 'tool', op: 'read', args: { path: '/scratch/l1' } } }, detail: DENIED },
  { name: 'tool Read through a symlink in /scratch to a blocked resource', step: { do: 'symlink', target: '$SHARED_SRC/ecm/shared/runbooks/refund.md', link: '/scratch/l2', then: { do: 'tool', op: 'read', args: { path: '/scratch/l2' } } }, detail: DENIED },
  { name: 'tool Write through a symlink in /scratch out of it', step: { do: 'symlink', target: '$DATA_DIR', link: '/scratch/l3', then: { do: 'tool', op: 'write', args: { path: '/scratch/l3/pwned', content: 'x' } } }, detail: DENIED },
  { name: 'tool Write into the bundle', step: { do: 'tool', op: 'write', args: { path: 'DECISIONS.md', content: 'x' } }, detail: DENIED },
  // Writes outside /scratch.
  { name: 'write into the bundle', step: { do: 'write', path: '/skill/pwned' } },
  { name: 'write into /usr', step: { do: 'write', path: '/usr/pwned' } },
  { name: 'write into /etc', step: { do: 'write', path: '/etc/pwned' } },
  // Network.
  { name: "TCP to the platform's own API on 127.0.0.1", step: { do: 'tcp', host: '127.0.0.1', port: '$API_PORT' } },
  { name: 'TCP to PostgreSQL on 127.0.0.1:5432', step: { do: 'tcp', host: '127.0.0.1', port: 5432 } },
  { name: 'TCP out to the internet', step: { do: 'tcp', host: '1.1.1.1', port: 443 } },
  { name: 'UDP out', step: { do: 'udp', host: '8.8.8.8', port: 53 } },
  { name: "a unix socket of the host (PostgreSQL's)", step: { do: 'unix', path: '/run/postgresql/.s.PGSQL.5432' } },
  { name: 'an abstract unix socket the host listens on', step: { do: 'abstract', name: '$ABSTRACT' } },
  { name: 'resolve DNS', step: { do: 'dns', name: 'example.com' } },
  // Environment and secrets.
  { name: "read the platform's environment", step: { do: 'env', name: 'ASPORA_HOST_ONLY_SECRET' } },
  { name: 'read an undeclared secret', step: { do: 'secret', name: 'OTHER_SECRET' } },
  { name: "find another execution's secret in any process", step: { do: 'scan', needle: '$OTHER_SECRET_VALUE' } },
  // Processes.
  { name: 'signal a host process', step: { do: 'signal', pid: '$HOST_PID' } },
  { name: 'ptrace a host process', step: { do: 'ptrace', pid: '$HOST_PID' } },
  { name: 'see the host processes', step: { do: 'procs' } },
  { name: 'mount a filesystem', step: { do: 'exec', argv: ['/bin/mount', '-t', 'tmpfs', 'none', '/scratch'] } },
  // Limits.
  { name: 'fork bomb', step: { do: 'forkbomb' }, mayEndExecution: true },
  { name: 'memory bomb', step: { do: 'membomb' }, mayEndExecution: true, detail: /runtime\.memory|MemoryError|ENOMEM|Cannot allocate/ },
  { name: 'fill the disk', step: { do: 'diskfill' }, mayEndExecution: true },
  // The same again through Bash (a sibling process in the same sandbox).
  { name: 'Bash: cat /etc/shadow', step: { do: 'bash', command: 'cat /etc/shadow' } },
  { name: "Bash: the platform's data folder", step: { do: 'bash', command: 'ls $DATA_DIR' } },
  { name: 'Bash: a blocked shared resource', step: { do: 'bash', command: 'cat /shared/runbooks/refund.md' } },
  { name: 'Bash: write outside /scratch', step: { do: 'bash', command: 'touch /skill/pwned' } },
  { name: 'Bash: TCP to the platform', step: { do: 'bash', command: 'python3 -c "import socket; socket.create_connection((\'127.0.0.1\', $API_PORT), 1)"' } },
  { name: 'Bash: DNS', step: { do: 'bash', command: 'getent hosts example.com' } },
  { name: "Bash: the platform's environment", step: { do: 'bash', command: 'env | grep ASPORA_HOST_ONLY_SECRET' } },
  { name: 'Bash: signal a host process', step: { do: 'bash', command: 'kill -0 $HOST_PID' } },
  { name: 'Bash: fork bomb', step: { do: 'bash', command: 'i=0; while [ $i -lt 3000 ]; do sleep 30 & i=$((i+1)); done; wait', timeoutMs: 6000 }, mayEndExecution: true },
  { name: 'Bash: fill the disk', step: { do: 'bash', command: 'dd if=/dev/zero of=/scratch/fill bs=16M count=128' }, mayEndExecution: true },
  // Leaving something behind.
  { name: 'leave a process running after the timeout', step: { do: 'linger', seconds: '$LINGER' }, short: true, mayEndExecution: true, lingers: true },
  { name: 'Bash: leave a process running after it returns', step: { do: 'bash', command: 'setsid sleep $LINGER_BASH > /dev/null 2>&1 & echo started', timeoutMs: 3000 }, lingers: true },
];
