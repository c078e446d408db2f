// Shapes shared by the stack's modules and returned by its API.
import type { Managed, StackEnv, StackPorts } from './env.ts';

export type ServiceName = 'kafka' | 'registry' | 'redis' | 'clickhouse';

export type ServiceState = 'healthy' | 'unhealthy' | 'down' | 'embedded';

export interface ServiceStatus {
  service: ServiceName;
  /** where clients reach it (the value of its environment variable) */
  url: string;
  /** healthy: answers its health check; unhealthy: something runs or listens but does not answer
   *  as it should; down: nothing there; embedded: ClickHouse runs in-process (chdb), no server */
  state: ServiceState;
  /** pid of the process `cxg stack up` started, when it runs */
  pid?: number;
  /** true when `cxg stack up` started it, so `cxg stack down` will stop it */
  startedByUs: boolean;
  /** false when the variable points elsewhere: the stack checks such a service but never starts it */
  managed: boolean;
  /** why it is not healthy, or what it is (version, storage) */
  detail?: string;
}

export interface StackOptions {
  /** progress lines ("kafka: starting", "registry: healthy in 9.1 s"); silent when omitted */
  log?: (line: string) => void;
}

/** Everything a service module needs to know, resolved once per command. */
export interface StackContext {
  root: string;
  /** <repo>/.cxg/stack */
  state: string;
  /** <repo>/.cxg/stack/logs */
  logs: string;
  env: StackEnv;
  ports: StackPorts;
  managed: Managed;
  /** how long `up` waits for one service to become healthy */
  timeoutMs: number;
  log: (line: string) => void;
}
