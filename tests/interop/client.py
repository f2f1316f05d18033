#!/usr/bin/python3
"""Interop check: a Python gRPC client that knows demarche only through its
.proto files. It starts a real demarched on 127.0.0.1 (port 0, read back from
--port-file) with the bundled record, checks health, replays a state, forks a
branch, appends a move to it (with expected_head, then an idempotent retry),
reads and follows it back, verifies the chain, and stops the server with
SIGTERM. Exit 0 on success; any failure raises.

  /usr/bin/python3 tests/interop/client.py --demarched build/services/demarched \
      --stubs build/tests/interop/py --bundle-dir data/six-party-talks
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--demarched", required=True, help="path of the demarched executable")
    p.add_argument("--stubs", required=True, help="directory of the generated Python stubs")
    p.add_argument("--bundle-dir", required=True, help="the bundled record to load")
    return p.parse_args()


def start_server(demarched, bundle_dir, workdir):
    port_file = os.path.join(workdir, "port")
    log = open(os.path.join(workdir, "demarched.log"), "w")
    proc = subprocess.Popen(
        [demarched, "--listen", "127.0.0.1:0", "--port-file", port_file,
         "--data-dir", os.path.join(workdir, "data"), "--no-sync",
         "--load-bundled", "--bundle-dir", bundle_dir],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("demarched exited early:\n" + open(log.name).read())
        if os.path.exists(port_file):
            return proc, int(open(port_file).read()), log.name
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("demarched wrote no port file within 60 s")


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok -", what)


def main():
    args = parse_args()
    sys.path.insert(0, args.stubs)
    import grpc
    from demarche.v1 import (audit_service_pb2 as audit_pb, audit_service_pb2_grpc as audit_grpc,
                             branches_service_pb2 as branches_pb,
                             branches_service_pb2_grpc as branches_grpc,
                             date_pb2, event_pb2, ledger_service_pb2 as ledger_pb,
                             ledger_service_pb2_grpc as ledger_grpc, move_pb2,
                             replay_service_pb2 as replay_pb,
                             replay_service_pb2_grpc as replay_grpc,
                             scenarios_service_pb2 as scenarios_pb,
                             scenarios_service_pb2_grpc as scenarios_grpc)
    import health_pb2
    import health_pb2_grpc

    with tempfile.TemporaryDirectory(prefix="demarche-interop-") as workdir:
        proc, port, log = start_server(args.demarched, args.bundle_dir, workdir)
        try:
            channel = grpc.insecure_channel("127.0.0.1:%d" % port)
            grpc.channel_ready_future(channel).result(timeout=30)
            t = 20  # per-call deadline, seconds

            health = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="demarche.v1.LedgerService"), timeout=t)
            check(health.status == health_pb2.HealthCheckResponse.SERVING, "health: SERVING")

            scenarios = scenarios_grpc.ScenarioServiceStub(channel)
            names = [s.name for s in scenarios.ListScenarios(
                scenarios_pb.ListScenariosRequest(), timeout=t).scenarios]
            check("six-party-talks" in names, "bundled scenario listed: %s" % names)
            sc = "six-party-talks"

            replay = replay_grpc.ReplayServiceStub(channel)
            state = replay.GetState(replay_pb.GetStateRequest(
                scenario=sc, as_of=date_pb2.PartialDate(year=2003, month=12, day=31),
                parties=["PRK", "USA"]), timeout=t)
            check([p.party for p in state.parties] == ["PRK", "USA"] and state.events_applied > 0,
                  "state of PRK and USA as of 2003-12-31 (%d events applied, precision %s)"
                  % (state.events_applied, state.precision))

            branches = branches_grpc.BranchServiceStub(channel)
            branch = branches.CreateBranch(branches_pb.CreateBranchRequest(
                scenario=sc, name="interop-python", description="a move appended from Python"),
                timeout=t)
            check(branch.parent == "main" and branch.head_seq == branch.fork_after_seq > 0,
                  "branch forked at main's head (seq %d)" % branch.head_seq)

            ledger = ledger_grpc.LedgerServiceStub(channel)
            event = event_pb2.Event(
                id="interop-python-1",
                occurred=date_pb2.PartialDate(year=2004, month=7),
                actor=["CHN"], recipients=["PRK", "USA"],
                move=move_pb2.Move(consult=move_pb2.Consult(
                    kind=move_pb2.CONSULT_KIND_MULTILATERAL, forum="six-party-talks",
                    place="Beijing", topic="a fourth round, as a Python client imagines it")),
                context=event_pb2.CONTEXT_HYPOTHETICAL,
                summary="China convenes a hypothetical fourth round")
            request = ledger_pb.AppendRequest(scenario=sc, branch="interop-python",
                                              events=[event], expected_head=branch.head_seq)
            appended = ledger.Append(request, timeout=t)
            check(appended.first_seq == branch.head_seq + 1 and not appended.replayed
                  and appended.events[0].recorded_by == "local"
                  and len(appended.events[0].hash) == 32,
                  "appended at seq %d, recorded_by %s" % (appended.first_seq,
                                                          appended.events[0].recorded_by))
            # A retry of the same batch (same ids and content) is answered from
            # the ledger, even with its now stale expected_head.
            again = ledger.Append(request, timeout=t)
            check(again.replayed and again.first_seq == appended.first_seq,
                  "idempotent retry replayed, nothing written")
            stale = ledger_pb.AppendRequest(scenario=sc, branch="interop-python",
                                            events=[event_pb2.Event()], expected_head=branch.head_seq)
            stale.events[0].CopyFrom(event)
            stale.events[0].id = "interop-python-2"
            try:
                ledger.Append(stale, timeout=t)  # expected_head is one behind now
                raise AssertionError("a stale expected_head was accepted")
            except grpc.RpcError as e:
                check(e.code() == grpc.StatusCode.FAILED_PRECONDITION,
                      "stale expected_head: %s %s" % (e.code().name, e.details()))
            try:
                ledger.Append(ledger_pb.AppendRequest(scenario=sc, branch="interop-python"),
                              timeout=t)
                raise AssertionError("an empty batch was accepted")
            except grpc.RpcError as e:
                check(e.code() == grpc.StatusCode.INVALID_ARGUMENT and "events" in e.details(),
                      "empty batch: %s %s" % (e.code().name, e.details()))

            last = list(ledger.Read(ledger_pb.ReadRequest(
                scenario=sc, branch="interop-python", order=ledger_pb.READ_ORDER_SEQ_REVERSE,
                limit=1), timeout=t))
            check(len(last) == 1 and last[0].id == "interop-python-1", "read back newest first")

            follow = ledger.Subscribe(ledger_pb.SubscribeRequest(
                scenario=sc, branch="interop-python", after_seq=appended.first_seq - 1),
                timeout=t)
            first = next(follow)
            follow.cancel()
            check(first.seq == appended.first_seq, "subscription delivers it")

            branch_state = replay.GetState(replay_pb.GetStateRequest(
                scenario=sc, branch="interop-python"), timeout=t)
            main_state = replay.GetState(replay_pb.GetStateRequest(scenario=sc), timeout=t)
            check(branch_state.last_seq == appended.first_seq
                  and branch_state.last_seq == main_state.last_seq + 1,
                  "the branch replays one event past the record")

            verified = audit_grpc.AuditServiceStub(channel).Verify(
                audit_pb.VerifyRequest(scenario=sc), timeout=t)
            check(verified.ok and len(verified.branches) >= 2,
                  "every branch verifies (%d)" % len(verified.branches))
            channel.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "killed"
        if code != 0:
            print(open(log).read())
        check(code == 0, "demarched stopped on SIGTERM with exit code 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
