// scenario_bench: the scenario benchmark tool (issue 6). Each subcommand runs
// one family of workloads and prints one JSON line per measurement on stdout
// (see bench/stats.h); progress goes to stderr. scripts/bench drives it and
// bench/report.py turns the lines into bench/RESULTS.md.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "bench/embedded_bench.h"
#include "bench/generator.h"
#include "bench/grpc_bench.h"
#include "bench/pg_peer.h"
#include "bench/redis_peer.h"
#include "bench/stats.h"

namespace demarche::bench {
namespace {

struct GenFlags {
  uint64_t seed = 1;
  int parties = 6;
  double backdate = 0.05;
  std::string calibrate;  // JSON Lines record to calibrate the mix from
};

void AddGenFlags(CLI::App* app, GenFlags& g) {
  app->add_option("--seed", g.seed, "generator seed")->capture_default_str();
  app->add_option("--parties", g.parties, "parties in the roster")->capture_default_str();
  app->add_option("--backdate", g.backdate, "fraction of backdated events")->capture_default_str();
  app->add_option("--calibrate", g.calibrate,
                  "JSON Lines record to take the move mix from (default mix if absent)");
}

GeneratorOptions MakeGenerator(const GenFlags& g, uint64_t events) {
  GeneratorOptions o;
  o.seed = g.seed;
  o.parties = g.parties;
  o.backdate_fraction = g.backdate;
  o.events = events;
  if (!g.calibrate.empty() && std::filesystem::exists(g.calibrate)) {
    auto mix = CalibrateMix(g.calibrate);
    if (mix.ok()) {
      o.mix = *mix;
    } else {
      Progress(fmt::format("calibration skipped: {}", mix.status().ToString()));
    }
  }
  return o;
}

int Fail(const absl::Status& st) {
  std::cerr << "scenario_bench: " << st << "\n";
  return 1;
}

}  // namespace
}  // namespace demarche::bench

int main(int argc, char** argv) {
  using namespace demarche::bench;
  CLI::App app{"demarche scenario benchmark: ledger, server, floor and peers"};
  app.require_subcommand(1);
  GenFlags gen;

  // ---- gen: print generated events (JSON Lines) and the mix ----------------
  auto* gen_cmd = app.add_subcommand("gen", "print generated events as JSON Lines");
  uint64_t gen_events = 10;
  gen_cmd->add_option("-n,--events", gen_events, "events to print")->capture_default_str();
  AddGenFlags(gen_cmd, gen);

  // ---- pg / redis: the peers -----------------------------------------------
  auto* pg_cmd = app.add_subcommand("pg", "PostgreSQL peer: durable appends, bulk, read");
  PgBenchOptions pg;
  pg_cmd->add_option("--conninfo", pg.conninfo, "libpq connection string")->required();
  auto* redis_cmd = app.add_subcommand("redis", "Redis Streams peer: durable appends, bulk, read");
  RedisBenchOptions redis;
  redis_cmd->add_option("--socket", redis.socket, "redis-server Unix socket")->required();
  std::vector<int> clients{1, 8, 32};
  double seconds = 5;
  uint64_t bulk_events = 1000000;
  int repeats = 3;
  int peer_pid = 0;
  for (auto* cmd : {pg_cmd, redis_cmd}) {
    cmd->add_option("--server-pid", peer_pid,
                    "server process (PostgreSQL: the postmaster) for CPU per event");
    cmd->add_option("--clients", clients, "concurrent clients, e.g. 1,8,32")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("--seconds", seconds, "duration of each durable-append run")
        ->capture_default_str();
    cmd->add_option("--bulk-events", bulk_events, "events of the bulk load / read")
        ->capture_default_str();
    cmd->add_option("--repeats", repeats, "repeats")->capture_default_str();
    AddGenFlags(cmd, gen);
  }

  // ---- embedded: the ledger in process, and the raw RocksDB floor ---------
  auto* emb_cmd = app.add_subcommand("embedded", "embedded ledger and raw RocksDB floor");
  EmbeddedOptions emb;
  emb_cmd->add_option("--workdir", emb.workdir, "scratch directory (removed)")->required();
  emb_cmd->add_option("--events", emb.events, "events on the big branch")->capture_default_str();
  emb_cmd->add_option("--batch", emb.batch, "events per bulk append")->capture_default_str();
  emb_cmd->add_option("--repeats", emb.repeats, "repeats")->capture_default_str();
  emb_cmd->add_option("--queries", emb.queries, "as-of queries per repeat with snapshots")
      ->capture_default_str();
  emb_cmd
      ->add_option("--queries-standing", emb.queries_standing,
                   "as-of queries per repeat for the bounded lists (GetStateRequest.fields)")
      ->capture_default_str();
  emb_cmd
      ->add_option("--queries-no-snapshot", emb.queries_no_snapshot,
                   "as-of queries per repeat without snapshots")
      ->capture_default_str();
  emb_cmd->add_option("--branches", emb.branches, "branches of the many-branches workload")
      ->capture_default_str();
  emb_cmd->add_option("--branch-samples", emb.branch_samples, "timed forks per parent size")
      ->capture_default_str();
  emb_cmd->add_option("--sync-events", emb.sync_events, "events of the sync=on bulk variant")
      ->capture_default_str();
  emb_cmd
      ->add_option("--snapshot-every", emb.snapshot_every,
                   "engine snapshot interval for the as-of workload (0 = the engine's "
                   "default up to 100k events, events/20 above)")
      ->capture_default_str();
  emb_cmd->add_option("--phases", emb.phases, "comma-separated: bulk,replay,fold,asof,branches")
      ->capture_default_str();
  AddGenFlags(emb_cmd, gen);

  // ---- grpc: the real server ------------------------------------------------
  auto* grpc_cmd = app.add_subcommand("grpc", "demarched over gRPC on loopback");
  GrpcOptions grpc;
  grpc_cmd->add_option("--server", grpc.server, "path of demarched")->required();
  grpc_cmd->add_option("--floor-server", grpc.floor_server,
                       "path of grpc_floor_server (default: next to this program)");
  grpc_cmd->add_option("--workdir", grpc.workdir, "scratch directory (removed)")->required();
  grpc_cmd->add_option("--events", grpc.events, "events streamed then served")
      ->capture_default_str();
  grpc_cmd->add_option("--clients", grpc.clients, "concurrent clients, e.g. 1,8,32")
      ->delimiter(',')
      ->capture_default_str();
  grpc_cmd->add_option("--seconds", grpc.seconds, "duration of each durable-append run")
      ->capture_default_str();
  grpc_cmd
      ->add_option("--stream-batches", grpc.stream_batches,
                   "events per AppendStream message, e.g. 100,1000")
      ->delimiter(',')
      ->capture_default_str();
  grpc_cmd->add_option("--queries", grpc.queries, "GetState calls while serving")
      ->capture_default_str();
  grpc_cmd
      ->add_option("--queries-standing", grpc.queries_standing,
                   "GetState calls for the bounded lists (GetStateRequest.fields)")
      ->capture_default_str();
  grpc_cmd->add_option("--deadline", grpc.deadline, "seconds allowed to each GetState/Verify")
      ->capture_default_str();
  grpc_cmd->add_option("--repeats", grpc.repeats, "repeats")->capture_default_str();
  grpc_cmd
      ->add_option("--phases", grpc.phases,
                   "comma-separated: durable,durable-floor,stream,nosync,stream-floor")
      ->delimiter(',')
      ->check(CLI::IsMember({"durable", "durable-floor", "stream", "nosync", "stream-floor"}))
      ->capture_default_str();
  AddGenFlags(grpc_cmd, gen);

  CLI11_PARSE(app, argc, argv);

  if (gen_cmd->parsed()) {
    GeneratorOptions o = MakeGenerator(gen, gen_events);
    Generator g(o);
    std::cerr << DescribeMix(o.mix) << "\n";
    size_t bytes = 0;
    for (uint64_t i = 0; i < gen_events; ++i) {
      demarche::v1::Event e = g.Next();
      bytes += e.ByteSizeLong();
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(e, &json);
      std::cout << json << "\n";
    }
    std::cerr << fmt::format("{} events, {:.0f} bytes each (serialized client content)\n",
                             gen_events, gen_events ? double(bytes) / double(gen_events) : 0.0);
    return 0;
  }
  if (emb_cmd->parsed()) {
    emb.generator = MakeGenerator(gen, emb.events);
    Emit({"config", "generator", "", "mix", 0, "", 0, DescribeMix(emb.generator.mix)});
    auto st = RunEmbeddedBench(emb);
    return st.ok() ? 0 : Fail(st);
  }
  if (grpc_cmd->parsed()) {
    grpc.generator = MakeGenerator(gen, grpc.events);
    if (grpc.floor_server.empty()) {
      grpc.floor_server =
          (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "grpc_floor_server")
              .string();
    }
    auto st = RunGrpcBench(grpc);
    return st.ok() ? 0 : Fail(st);
  }
  if (pg_cmd->parsed()) {
    pg.clients = clients;
    pg.seconds = seconds;
    pg.bulk_events = bulk_events;
    pg.repeats = repeats;
    pg.server_pid = peer_pid;
    pg.generator = MakeGenerator(gen, bulk_events);
    auto st = RunPgBench(pg);
    return st.ok() ? 0 : Fail(st);
  }
  if (redis_cmd->parsed()) {
    redis.clients = clients;
    redis.seconds = seconds;
    redis.bulk_events = bulk_events;
    redis.repeats = repeats;
    redis.server_pid = peer_pid;
    redis.generator = MakeGenerator(gen, bulk_events);
    auto st = RunRedisBench(redis);
    return st.ok() ? 0 : Fail(st);
  }
  return 0;
}
