#include "bench/grpc_bench.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "bench/append_load.h"
#include "bench/server_process.h"
#include "bench/stats.h"
#include "demarche/v1/audit_service.grpc.pb.h"
#include "demarche/v1/branches_service.grpc.pb.h"
#include "demarche/v1/ledger_service.grpc.pb.h"
#include "demarche/v1/replay_service.grpc.pb.h"
#include "demarche/v1/scenarios_service.grpc.pb.h"

namespace demarche::bench {
namespace {

namespace fs = std::filesystem;

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      fmt::format("{}: {}", what, s.error_message()));
}

// A channel of its own (not shared with other clients): one TCP connection.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

absl::Status CreateScenario(const std::string& address, const v1::Scenario& scenario) {
  auto stub = v1::ScenarioService::NewStub(NewChannel(address));
  grpc::ClientContext ctx;
  v1::CreateScenarioRequest req;
  *req.mutable_scenario() = scenario;
  v1::Scenario out;
  return FromGrpc(stub->CreateScenario(&ctx, req, &out), "CreateScenario");
}

absl::Status CreateBranch(const std::string& address, const std::string& scenario,
                          const std::string& name) {
  auto stub = v1::BranchService::NewStub(NewChannel(address));
  grpc::ClientContext ctx;
  v1::CreateBranchRequest req;
  req.set_scenario(scenario);
  req.set_name(name);
  req.set_parent("main");
  req.set_after_seq(0);
  v1::Branch out;
  return FromGrpc(stub->CreateBranch(&ctx, req, &out), "CreateBranch");
}

class GrpcClient : public AppendClient {
 public:
  GrpcClient(const std::string& address, std::string scenario)
      : stub_(v1::LedgerService::NewStub(NewChannel(address))), scenario_(std::move(scenario)) {}
  absl::Status Append(const std::string& branch, const v1::Event& event) override {
    grpc::ClientContext ctx;
    v1::AppendRequest req;
    req.set_scenario(scenario_);
    req.set_branch(branch);
    *req.add_events() = event;
    v1::AppendResponse resp;
    return FromGrpc(stub_->Append(&ctx, req, &resp), "Append");
  }

 private:
  std::unique_ptr<v1::LedgerService::Stub> stub_;
  std::string scenario_;
};

// One closed-loop run of single-event appends against `server`, emitted as
// (workload, system, clients=N).
absl::Status RunDurableLoad(const GrpcOptions& o, const ServerProcess& server, int clients,
                            bool shared, const std::string& tag, const std::string& workload,
                            const std::string& system, int rep) {
  const std::string address = server.address();
  AppendLoad load;
  load.clients = clients;
  load.seconds = o.seconds;
  load.shared_stream = shared;
  load.shared_name = "main";
  load.stream_name = [tag](int c) { return fmt::format("{}-{}", tag, c); };
  load.generator = o.generator;
  load.generator.events = 100000;
  load.id_prefix = fmt::format("{}c", tag);
  const int pid = server.pid();
  load.server_cpu = [pid] { return PidCpuSeconds(pid); };
  auto stats = RunAppendLoad(
      [&](int) -> absl::StatusOr<std::unique_ptr<AppendClient>> {
        return std::make_unique<GrpcClient>(address, "bench");
      },
      load);
  if (!stats.ok()) return stats.status();
  EmitAppendStats(workload, system, fmt::format("clients={}", clients), rep, *stats);
  return absl::OkStatus();
}

absl::Status DurableAppends(const GrpcOptions& o, int rep) {
  const std::string dir = fmt::format("{}/durable-{}", o.workdir, rep);
  auto server = ServerProcess::Start(o.server, dir);
  if (!server.ok()) return server.status();
  const std::string address = (*server)->address();
  Generator roster(o.generator);
  if (auto s = CreateScenario(address, roster.MakeScenario("bench")); !s.ok()) return s;
  for (int shared = 1; shared >= 0; --shared) {
    for (int clients : o.clients) {
      const std::string tag = fmt::format("k{}{}", clients, shared ? "s" : "o");
      if (!shared) {
        for (int c = 0; c < clients; ++c) {
          if (auto s = CreateBranch(address, "bench", fmt::format("{}-{}", tag, c)); !s.ok()) {
            return s;
          }
        }
      }
      Progress(fmt::format("demarched durable appends, {} clients, {} (rep {})", clients,
                           shared ? "one shared branch" : "a branch per client", rep));
      const std::string workload = shared ? "durable_append" : "durable_append_own_stream";
      if (auto s =
              RunDurableLoad(o, **server, clients, shared, tag, workload, "demarche-grpc", rep);
          !s.ok()) {
        return s;
      }
    }
  }
  Progress(fmt::format("demarched stopped: {}", (*server)->Stop()));
  fs::remove_all(dir);
  return absl::OkStatus();
}

// The same load against grpc_floor_server, which answers Append without
// storing anything: what gRPC alone allows on this machine, with the sync
// server and with the callback API (demarched serves Append on the latter).
absl::Status DurableAppendFloor(const GrpcOptions& o, int rep) {
  for (bool callback : {false, true}) {
    const std::string dir = fmt::format("{}/floor-{}", o.workdir, rep);
    const std::string system = callback ? "grpc-floor-callback" : "grpc-floor-sync";
    std::vector<std::string> extra;
    if (callback) extra.push_back("--callback");
    auto server = ServerProcess::Start(o.floor_server, dir, extra);
    if (!server.ok()) return server.status();
    for (int clients : o.clients) {
      Progress(fmt::format("gRPC floor ({}), {} clients (rep {})",
                           callback ? "callback API" : "sync server", clients, rep));
      if (auto s = RunDurableLoad(o, **server, clients, true, fmt::format("f{}", clients),
                                  "durable_append", system, rep);
          !s.ok()) {
        return s;
      }
    }
    Progress(fmt::format("floor server stopped: {}", (*server)->Stop()));
  }
  return absl::OkStatus();
}

// A day in the generator's years, from the next step of an LCG.
v1::PartialDate RandomDay(uint64_t* rng, const GeneratorOptions& g) {
  *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
  const auto span = static_cast<uint64_t>(g.end_year - g.start_year + 1);
  v1::PartialDate d;
  d.set_year(g.start_year + static_cast<int>((*rng >> 33) % span));
  d.set_month(1 + static_cast<int>((*rng >> 20) % 12));
  d.set_day(1 + static_cast<int>((*rng >> 8) % 28));
  return d;
}

// Samples the server's VmRSS every 50 ms while alive; keeps the maximum.
class RssSampler {
 public:
  explicit RssSampler(const ServerProcess* p) : p_(p), t_([this] { Loop(); }) {}
  ~RssSampler() {
    stop_ = true;
    t_.join();
  }
  long max_kb() const { return max_kb_.load(); }
  void Reset() { max_kb_ = p_->StatusKb("VmRSS"); }

 private:
  void Loop() {
    while (!stop_) {
      const long kb = p_->StatusKb("VmRSS");
      long cur = max_kb_.load();
      while (kb > cur && !max_kb_.compare_exchange_weak(cur, kb)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const ServerProcess* p_;
  std::atomic<bool> stop_{false};
  std::atomic<long> max_kb_{0};
  std::thread t_;
};

// Streams o.events events to scenario `scenario`/main in messages of `batch`
// events, writer and reader running concurrently. Events come from a pool
// generated beforehand (not timed); later rounds of the pool get fresh ids.
struct Streamed {
  double seconds = 0;
  double server_cpu = 0;
  double client_cpu = 0;
};
// Moves a date `years` on; a leap day that lands in a common year becomes
// the 28th.
void ShiftYears(v1::PartialDate* d, int years) {
  d->set_year(d->year() + years);
  const int y = d->year();
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d->month() == 2 && d->day() == 29 && !leap) d->set_day(28);
}

absl::StatusOr<Streamed> StreamAppend(const std::string& address, const std::string& scenario,
                                      uint64_t events, size_t batch, const GeneratorOptions& g,
                                      int server_pid) {
  GeneratorOptions go = g;
  go.events = events;
  go.id_prefix = fmt::format("b{}", batch);
  Generator gen(go);
  const uint64_t pool_events = std::min<uint64_t>(events, 100000);
  std::vector<v1::AppendRequest> pool;
  for (uint64_t done = 0; done < pool_events;) {
    v1::AppendRequest req;
    req.set_scenario(scenario);
    req.set_branch("main");
    const size_t n = std::min<uint64_t>(batch, pool_events - done);
    for (size_t i = 0; i < n; ++i) *req.add_events() = gen.Next();
    req.set_omit_events(true);  // a bulk loader needs the seqs, not its events back
    done += n;
    pool.push_back(std::move(req));
  }
  // Each pass over the pool is dated after the one before: its years move
  // on by the pool's span (a multiple of 4, so leap days stay leap days
  // but in century years). Repeated as it was, every pass after the first
  // went back to the pool's first dates, and the stream was mostly
  // backdated events instead of the generator's share.
  int first_year = 9999, last_year = 1;
  for (const auto& req : pool)
    for (const auto& e : req.events()) {
      first_year = std::min(first_year, e.occurred().year());
      last_year = std::max(last_year, std::max(e.occurred().year(), e.occurred_end().year()));
    }
  const int span = (last_year - first_year + 1 + 3) / 4 * 4;
  const uint64_t messages = (events + batch - 1) / batch;
  auto stub = v1::LedgerService::NewStub(NewChannel(address));
  grpc::ClientContext ctx;
  const double scpu0 = PidCpuSeconds(server_pid);
  const double ccpu0 = ProcessCpuSeconds();
  const auto t0 = Clock::now();
  auto stream = stub->AppendStream(&ctx);
  std::atomic<uint64_t> acked{0};
  std::thread reader([&] {
    v1::AppendResponse resp;
    while (stream->Read(&resp)) acked += resp.last_seq() - resp.first_seq() + 1;
  });
  uint64_t sent = 0;
  for (uint64_t m = 0; m < messages; ++m) {
    v1::AppendRequest& req = pool[m % pool.size()];
    const uint64_t round = m / pool.size();
    if (round > 0) {
      for (auto& e : *req.mutable_events()) {
        const std::string& id = e.id();
        const size_t dash = id.rfind(".r");
        e.set_id(fmt::format("{}.r{}", dash == std::string::npos ? id : id.substr(0, dash), round));
        ShiftYears(e.mutable_occurred(), span);
        if (e.has_occurred_end()) ShiftYears(e.mutable_occurred_end(), span);
      }
    }
    // The last message may be partial.
    const uint64_t want = std::min<uint64_t>(batch, events - sent);
    if (static_cast<uint64_t>(req.events_size()) > want) {
      req.mutable_events()->DeleteSubrange(static_cast<int>(want),
                                           req.events_size() - static_cast<int>(want));
    }
    if (!stream->Write(req)) break;
    sent += static_cast<uint64_t>(req.events_size());
  }
  stream->WritesDone();
  reader.join();
  grpc::Status st = stream->Finish();
  const double secs = SecondsSince(t0);
  const Streamed out{secs, PidCpuSeconds(server_pid) - scpu0, ProcessCpuSeconds() - ccpu0};
  if (!st.ok()) return FromGrpc(st, "AppendStream");
  if (acked.load() != events) {
    return absl::InternalError(
        fmt::format("AppendStream acknowledged {} of {}", acked.load(), events));
  }
  return out;
}

absl::Status StreamAndServe(const GrpcOptions& o, int rep) {
  const std::string dir = fmt::format("{}/stream-{}", o.workdir, rep);
  auto server = ServerProcess::Start(o.server, dir);
  if (!server.ok()) return server.status();
  const std::string address = (*server)->address();
  RssSampler sampler(server->get());
  Generator roster(o.generator);
  // Smaller batch sizes first, on scenarios of their own; the largest batch
  // loads the scenario that is then served.
  std::string served;
  for (size_t batch : o.stream_batches) {
    const std::string scenario = fmt::format("stream-{}", batch);
    if (auto s = CreateScenario(address, roster.MakeScenario(scenario)); !s.ok()) return s;
    const uint64_t n =
        batch == o.stream_batches.back() ? o.events : std::min<uint64_t>(o.events, 200000);
    Progress(
        fmt::format("demarched AppendStream: {} events in messages of {} (rep {})", n, batch, rep));
    auto r = StreamAppend(address, scenario, n, batch, o.generator, (*server)->pid());
    if (!r.ok()) return r.status();
    const std::string variant = fmt::format("batch={}", batch);
    Emit({"stream_append", "demarche-grpc", variant, "events_per_s",
          static_cast<double>(n) / r->seconds, "ev/s", rep,
          fmt::format("{} events in {:.2f} s, durable (fsync per message)", n, r->seconds)});
    Emit({"stream_append", "demarche-grpc", variant, "server_cpu_us_per_event",
          r->server_cpu * 1e6 / static_cast<double>(n), "us", rep, "demarched CPU (all threads)"});
    Emit({"stream_append", "demarche-grpc", variant, "client_cpu_us_per_event",
          r->client_cpu * 1e6 / static_cast<double>(n), "us", rep, "the streaming client's CPU"});
    served = scenario;
  }
  const long after_load = (*server)->StatusKb("VmRSS");
  Emit({"server_memory", "demarche-grpc", "after load", "rss_mb", after_load / 1024.0, "MB", rep,
        fmt::format("VmRSS after streaming {} events", o.events)});
  sampler.Reset();

  // Serving: read everything, replay at random dates, verify.
  auto chan = NewChannel(address);
  auto ledger = v1::LedgerService::NewStub(chan);
  auto replay = v1::ReplayService::NewStub(chan);
  auto audit = v1::AuditService::NewStub(chan);
  {
    Progress(fmt::format("demarched Read of {} events (rep {})", o.events, rep));
    grpc::ClientContext ctx;
    v1::ReadRequest req;
    req.set_scenario(served);
    req.set_branch("main");
    const auto t0 = Clock::now();
    auto reader = ledger->Read(&ctx, req);
    v1::Event e;
    uint64_t n = 0;
    while (reader->Read(&e)) ++n;
    if (auto s = FromGrpc(reader->Finish(), "Read"); !s.ok()) return s;
    Emit({"read_stream", "demarche-grpc", "", "events_per_s",
          static_cast<double>(n) / SecondsSince(t0), "ev/s", rep,
          fmt::format("{} events streamed by Read and parsed", n)});
  }
  const auto with_deadline = [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(o.deadline * 1e3)));
  };
  {
    Progress(fmt::format("demarched Verify (rep {})", rep));
    grpc::ClientContext ctx;
    with_deadline(ctx);
    v1::VerifyRequest req;
    req.set_scenario(served);
    req.set_branch("main");
    v1::VerifyResponse resp;
    const auto t0 = Clock::now();
    grpc::Status gs = audit->Verify(&ctx, req, &resp);
    const double secs = SecondsSince(t0);
    if (gs.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      Emit({"verify", "demarche-grpc", "", "timed_out_s", secs, "s", rep,
            fmt::format("Verify did not answer within {:.0f} s", o.deadline)});
    } else if (auto s = FromGrpc(gs, "Verify"); !s.ok()) {
      return s;
    } else {
      uint64_t checked = 0;
      for (const auto& b : resp.branches()) checked += b.checked();
      Emit({"verify", "demarche-grpc", "", "events_per_s", static_cast<double>(checked) / secs,
            "ev/s", rep, fmt::format("{} events, ok={}", checked, resp.ok())});
    }
  }
  Emit({"server_memory", "demarche-grpc", "serving reads", "rss_mb",
        static_cast<double>(sampler.max_kb()) / 1024.0, "MB", rep,
        "largest VmRSS sampled every 50 ms while streaming Read and Verify of every event"});
  {
    // The lists the roster bounds (GetStateRequest.fields), at random dates.
    Progress(fmt::format("demarched GetState for the bounded lists at {} random dates (rep {})",
                         o.queries_standing, rep));
    RssSampler standing_rss(server->get());
    std::vector<double> ms;
    size_t state_bytes = 0;
    double first_ms = 0;
    uint64_t rng = o.generator.seed * 91 + static_cast<uint64_t>(rep);
    for (int i = 0; i <= o.queries_standing; ++i) {
      grpc::ClientContext ctx;
      with_deadline(ctx);
      v1::GetStateRequest req;
      req.set_scenario(served);
      req.set_branch("main");
      for (const char* f : {"positions", "agreements", "sanctions_imposed", "sanctions_suffered",
                            "relations", "forums"})
        req.add_fields(f);
      // The first asks for the whole branch: its fold writes every snapshot
      // (a first query at a random date would leave the later ones to the
      // queries after it).
      const v1::PartialDate day = RandomDay(&rng, o.generator);
      if (i > 0) *req.mutable_as_of() = day;
      v1::ScenarioState state;
      const auto t0 = Clock::now();
      grpc::Status gs = replay->GetState(&ctx, req, &state);
      const double took = SecondsSince(t0) * 1e3;
      if (auto s = FromGrpc(gs, "GetState (fields)"); !s.ok()) return s;
      state_bytes = std::max(state_bytes, state.ByteSizeLong());
      if (i == 0) {
        first_ms = took;  // the fold that writes the snapshots
      } else {
        ms.push_back(took);
      }
    }
    const std::string v = "fields=standing server default";
    Emit({"state_as_of", "demarche-grpc", v, "p50_ms", Quantile(ms, 0.5), "ms", rep,
          fmt::format("{} GetState calls for positions, agreements, sanctions, relations and "
                      "forums at random dates, after a first one for the whole branch ({:.0f} ms) "
                      "that wrote their snapshots; largest answer {} bytes",
                      ms.size(), first_ms, state_bytes)});
    Emit({"state_as_of", "demarche-grpc", v, "p99_ms", Quantile(ms, 0.99), "ms", rep, ""});
    Emit({"server_memory", "demarche-grpc", "serving bounded lists", "rss_mb",
          static_cast<double>(standing_rss.max_kb()) / 1024.0, "MB", rep,
          "largest VmRSS sampled every 50 ms while answering those GetState calls"});
  }
  {
    // As the server is configured (its default snapshot interval): the first
    // queries on a fresh scenario also write its snapshots.
    Progress(fmt::format("demarched GetState at {} random dates, {:.0f} s deadline each (rep {})",
                         o.queries, o.deadline, rep));
    std::vector<double> ms;
    int timeouts = 0;
    size_t state_bytes = 0;
    uint64_t rng = o.generator.seed * 77 + static_cast<uint64_t>(rep);
    for (int i = 0; i < o.queries; ++i) {
      grpc::ClientContext ctx;
      with_deadline(ctx);
      v1::GetStateRequest req;
      req.set_scenario(served);
      req.set_branch("main");
      *req.mutable_as_of() = RandomDay(&rng, o.generator);
      v1::ScenarioState state;
      const auto t0 = Clock::now();
      grpc::Status gs = replay->GetState(&ctx, req, &state);
      ms.push_back(SecondsSince(t0) * 1e3);
      if (gs.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        ++timeouts;
        continue;
      }
      if (auto s = FromGrpc(gs, "GetState"); !s.ok()) return s;
      state_bytes = std::max(state_bytes, state.ByteSizeLong());
    }
    const size_t n = ms.size();
    Emit({"state_as_of", "demarche-grpc", "server default", "p50_ms", Quantile(ms, 0.5), "ms", rep,
          fmt::format("{} GetState calls at random dates, {} over the {:.0f} s deadline (counted "
                      "at the deadline); largest answer {} bytes",
                      n, timeouts, o.deadline, state_bytes)});
    Emit({"state_as_of", "demarche-grpc", "server default", "p99_ms", Quantile(ms, 0.99), "ms", rep,
          ""});
  }
  Emit({"server_memory", "demarche-grpc", "serving", "rss_mb",
        static_cast<double>(sampler.max_kb()) / 1024.0, "MB", rep,
        "largest VmRSS sampled every 50 ms while reading, replaying and verifying"});
  Emit({"server_memory", "demarche-grpc", "peak", "hwm_mb",
        static_cast<double>((*server)->StatusKb("VmHWM")) / 1024.0, "MB", rep,
        "VmHWM over the server's life (load included)"});
  // What the server keeps once the big answers are gone: memory it does not
  // give back stays charged to it (and to whatever shares the machine).
  // demarched hands freed memory back every 5 s by default.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  Emit({"server_memory", "demarche-grpc", "idle after queries", "rss_mb",
        static_cast<double>((*server)->StatusKb("VmRSS")) / 1024.0, "MB", rep,
        "VmRSS 6 s after the last GetState answer"});
  Progress(fmt::format("demarched stopped: {}", (*server)->Stop()));
  fs::remove_all(dir);
  return absl::OkStatus();
}

// Streaming append into a server started with --no-sync: what the server
// itself can do when the disk's synced bandwidth is out of the way.
// AppendStream of min(events, 200k) events per message size against a server
// whose bytes do not reach the disk: demarched --no-sync (what the CPU allows
// demarched), or grpc_floor_server (what gRPC streaming alone allows).
absl::Status StreamUndurable(const GrpcOptions& o, int rep, bool floor) {
  const std::string dir = fmt::format("{}/{}-{}", o.workdir, floor ? "sfloor" : "nosync", rep);
  auto server = floor ? ServerProcess::Start(o.floor_server, dir)
                      : ServerProcess::Start(o.server, dir, {"--no-sync"});
  if (!server.ok()) return server.status();
  const char* what = floor ? "gRPC floor (stores nothing)" : "demarched --no-sync";
  Generator roster(o.generator);
  for (size_t batch : o.stream_batches) {
    const std::string scenario = fmt::format("nosync-{}", batch);
    if (!floor) {
      if (auto s = CreateScenario((*server)->address(), roster.MakeScenario(scenario)); !s.ok()) {
        return s;
      }
    }
    const uint64_t n = std::min<uint64_t>(o.events, 200000);
    Progress(
        fmt::format("{} AppendStream: {} events in messages of {} (rep {})", what, n, batch, rep));
    auto r = StreamAppend((*server)->address(), scenario, n, batch, o.generator, (*server)->pid());
    if (!r.ok()) return r.status();
    const std::string system = floor ? "grpc-floor-sync" : "demarche-grpc";
    const std::string variant = fmt::format("batch={}{}", batch, floor ? "" : " no-sync");
    Emit({"stream_append", system, variant, "events_per_s", static_cast<double>(n) / r->seconds,
          "ev/s", rep, fmt::format("{} events in {:.2f} s, {}", n, r->seconds, what)});
    Emit({"stream_append", system, variant, "server_cpu_us_per_event",
          r->server_cpu * 1e6 / static_cast<double>(n), "us", rep, "server CPU (all threads)"});
    Emit({"stream_append", system, variant, "client_cpu_us_per_event",
          r->client_cpu * 1e6 / static_cast<double>(n), "us", rep, "the streaming client's CPU"});
  }
  Progress(fmt::format("{} stopped: {}", what, (*server)->Stop()));
  fs::remove_all(dir);
  return absl::OkStatus();
}

}  // namespace

absl::Status RunGrpcBench(const GrpcOptions& o) {
  fs::remove_all(o.workdir);
  fs::create_directories(o.workdir);
  const auto runs = [&](const char* phase) {
    return std::find(o.phases.begin(), o.phases.end(), phase) != o.phases.end();
  };
  absl::Status st;
  const auto each_rep = [&](const char* phase, auto&& run) {
    if (!runs(phase)) return;
    for (int rep = 1; st.ok() && rep <= o.repeats; ++rep) st = run(rep);
  };
  each_rep("durable", [&](int rep) { return DurableAppends(o, rep); });
  each_rep("durable-floor", [&](int rep) { return DurableAppendFloor(o, rep); });
  each_rep("stream", [&](int rep) { return StreamAndServe(o, rep); });
  each_rep("nosync", [&](int rep) { return StreamUndurable(o, rep, false); });
  each_rep("stream-floor", [&](int rep) { return StreamUndurable(o, rep, true); });
  fs::remove_all(o.workdir);
  return st;
}

}  // namespace demarche::bench
