"""A gRPC service in Python under the hifate supervisor.

It follows the child contract (docs/CONTRACT.md):
- listen where the supervisor says: the Unix socket HIFATE_SOCKET, or the
  loopback port HIFATE_PORT (run by hand: 127.0.0.1:50051);
- report readiness through grpc.health.v1: SERVING once it can answer;
- on SIGTERM report NOT_SERVING, stop taking new calls, finish the calls in
  flight, and exit.

The supervisor runs it from an immutable snapshot of this directory, after
the `build` command of hifate.toml generated greeter_pb2*.py there.
"""

import os
import signal
import sys
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

import greeter_pb2
import greeter_pb2_grpc

GREETING = "hello v1"

# How long calls in flight may take to finish after SIGTERM.
GRACE_SECONDS = 30


class Greeter(greeter_pb2_grpc.GreeterServicer):
    def __init__(self, version):
        self.version = version

    def SayHello(self, request, context):
        if not request.name:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "name: must not be empty")
        return greeter_pb2.HelloReply(
            message=f"{GREETING}: {request.name}",
            version=self.version,
            pid=os.getpid(),
        )


def address():
    socket = os.environ.get("HIFATE_SOCKET")
    if socket:
        return f"unix:{socket}"
    port = os.environ.get("HIFATE_PORT", "50051")
    return f"127.0.0.1:{port}"


def main():
    version = int(os.environ.get("HIFATE_VERSION", "0"))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    greeter_pb2_grpc.add_GreeterServicer_to_server(Greeter(version), server)
    checker = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    where = address()
    if server.add_insecure_port(where) == 0:
        print(f"cannot listen on {where}", file=sys.stderr)
        sys.exit(1)
    server.start()
    checker.set("", health_pb2.HealthCheckResponse.SERVING)
    print(f"greeter version {version} serving on {where}", flush=True)

    stopping = threading.Event()

    def on_sigterm(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, on_sigterm)
    stopping.wait()
    checker.enter_graceful_shutdown()
    # New calls are refused from here; calls in flight get the grace period.
    server.stop(GRACE_SECONDS).wait()
    print(f"greeter version {version} stopped", flush=True)


if __name__ == "__main__":
    main()
