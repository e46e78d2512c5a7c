import { Option, type Command } from 'commander';
import { completes, examples, lazyAction } from '../define.js';

export function registerProxyAgent(proxy: Command): void {
  proxy
    .command('agent')
    .description('Run one proxy of a cluster on this host until SIGTERM: serves the last applied config at once, follows the control plane for new ones, reports health')
    .addOption(completes(new Option('--cluster <name>', 'the cluster this proxy serves').makeOptionMandatory(), 'cluster'))
    .option('--server <url>', 'the control plane (https off loopback)')
    .addOption(new Option('--token-file <path>', "a file holding this cluster's agent token (ownstack cluster agent-token create)").makeOptionMandatory())
    .option('--listen <address:port>', 'where the proxy serves (default 0.0.0.0:80)')
    .option('--public-address <ip>', 'the address the edge publishes for this proxy (default: the --listen address)')
    .option('--name <name>', 'this proxy in the cluster (default: the host name)')
    .option('--state-dir <dir>', 'where the agent keeps its last config (default: $OWNSTACK_HOME/agent/<cluster>)')
    .option('--dns-port <n>', "UDP port on the loopback for the agent's upstream resolver (default: the --listen port)")
    .option('--internal-ports <first-last>', 'loopback ports for URL-upstream bridges (default 20000-20999)')
    .option('--instance-id <id>', 'this host\'s EC2 instance id, for aws_alb instance target groups')
    .option('--heartbeat <duration>', 'how often the agent reports when nothing changes (default 5s)')
    .option('--caddy-bin <path>', 'the Caddy binary (default: caddy on PATH, or OWNSTACK_CADDY_BIN)')
    .addOption(new Option('--server-info <file>').hideHelp())
    .addOption(new Option('--local-bind <address>').hideHelp())
    .addOption(new Option('--index <n>').hideHelp())
    .addHelpText(
      'after',
      examples(
        'ownstack proxy agent --cluster api --server https://cp.example.com:8443 --token-file /etc/ownstack/agent-api.token --public-address 203.0.113.10 --listen 0.0.0.0:80',
      ) +
        '\nSignals: SIGTERM or Ctrl-C stop the proxy (requests in flight finish) and exit; SIGUSR2 exits and leaves the\n' +
        'proxy serving for the next agent on the same --state-dir, which takes over without a gap.\n',
    )
    .action(lazyAction(() => import('./agent.run.js')));
}
