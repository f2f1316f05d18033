#include "bench/redis_peer.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <cstdarg>
#include <memory>

#include "bench/stats.h"

namespace demarche::bench {
namespace {

struct CtxDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Ctx = std::unique_ptr<redisContext, CtxDeleter>;
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

absl::StatusOr<Ctx> Connect(const std::string& socket) {
  Ctx c(redisConnectUnix(socket.c_str()));
  if (!c || c->err) {
    return absl::UnavailableError(
        fmt::format("redis {}: {}", socket, c ? c->errstr : "cannot allocate"));
  }
  return c;
}

absl::Status Check(redisContext* c, redisReply* r, const char* what) {
  if (r == nullptr) return absl::UnavailableError(fmt::format("redis {}: {}", what, c->errstr));
  if (r->type == REDIS_REPLY_ERROR) {
    return absl::InternalError(fmt::format("redis {}: {}", what, std::string(r->str, r->len)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Reply> Command(redisContext* c, const char* what, const char* fmt_str, ...) {
  va_list ap;
  va_start(ap, fmt_str);
  Reply r(static_cast<redisReply*>(redisvCommand(c, fmt_str, ap)));
  va_end(ap);
  if (auto st = Check(c, r.get(), what); !st.ok()) return st;
  return r;
}

class RedisClient : public AppendClient {
 public:
  explicit RedisClient(Ctx c) : c_(std::move(c)) {}
  absl::Status Append(const std::string& stream, const v1::Event& event) override {
    event.SerializeToString(&buf_);
    return Command(c_.get(), "XADD", "XADD %s * id %s data %b", stream.c_str(), event.id().c_str(),
                   buf_.data(), buf_.size())
        .status();
  }

 private:
  Ctx c_;
  std::string buf_;
};

absl::Status Flush(redisContext* c) { return Command(c, "FLUSHALL", "FLUSHALL").status(); }

absl::StatusOr<uint64_t> ReadStream(redisContext* c, const std::string& stream) {
  std::string start = "-";
  uint64_t n = 0;
  v1::Event e;
  for (;;) {
    auto r = Command(c, "XRANGE", "XRANGE %s %s + COUNT 1000", stream.c_str(), start.c_str());
    if (!r.ok()) return r.status();
    redisReply* arr = r->get();
    if (arr->type != REDIS_REPLY_ARRAY || arr->elements == 0) break;
    for (size_t i = 0; i < arr->elements; ++i) {
      redisReply* entry = arr->element[i];
      redisReply* fields = entry->element[1];
      for (size_t f = 0; f + 1 < fields->elements; f += 2) {
        if (std::string(fields->element[f]->str) == "data") {
          if (!e.ParseFromArray(fields->element[f + 1]->str,
                                static_cast<int>(fields->element[f + 1]->len))) {
            return absl::DataLossError("redis: unparsable event");
          }
        }
      }
      ++n;
    }
    start = fmt::format("({}", arr->element[arr->elements - 1]->element[0]->str);
  }
  return n;
}

}  // namespace

absl::Status RunRedisBench(const RedisBenchOptions& o) {
  auto admin = Connect(o.socket);
  if (!admin.ok()) return admin.status();
  redisContext* a = admin->get();
  {
    auto info = Command(a, "INFO", "INFO server");
    if (!info.ok()) return info.status();
    std::string text((*info)->str, (*info)->len);
    const auto p = text.find("redis_version:");
    const std::string ver =
        p == std::string::npos ? "?" : text.substr(p + 14, text.find('\r', p) - p - 14);
    Progress(fmt::format("redis {}", ver));
    Emit({"versions", "redis", "", "server_version", 0, "", 0, ver});
    auto cfg = Command(a, "CONFIG", "CONFIG GET appendfsync");
    if (!cfg.ok()) return cfg.status();
    const redisReply* cr = cfg->get();
    if (cr->elements != 2 || std::string(cr->element[1]->str) != "always") {
      return absl::FailedPreconditionError("redis: appendfsync is not 'always'");
    }
  }
  const AppendClientFactory connect = [&](int) -> absl::StatusOr<std::unique_ptr<AppendClient>> {
    auto c = Connect(o.socket);
    if (!c.ok()) return c.status();
    return std::make_unique<RedisClient>(std::move(*c));
  };
  for (int rep = 1; rep <= o.repeats; ++rep) {
    for (int shared = 1; shared >= 0; --shared) {
      for (int clients : o.clients) {
        if (auto st = Flush(a); !st.ok()) return st;
        AppendLoad load;
        load.clients = clients;
        load.seconds = o.seconds;
        load.shared_stream = shared;
        load.generator = o.generator;
        load.generator.events = 100000;
        Progress(fmt::format("redis durable appends, {} clients, {} stream (rep {})", clients,
                             shared ? "one shared" : "per-client", rep));
        if (o.server_pid) load.server_cpu = [&] { return TreeCpuSeconds(o.server_pid); };
        auto stats = RunAppendLoad(connect, load);
        if (!stats.ok()) return stats.status();
        EmitAppendStats(shared ? "durable_append" : "durable_append_own_stream", "redis",
                        fmt::format("clients={}", clients), rep, *stats);
      }
    }
  }
  for (int rep = 1; rep <= o.repeats; ++rep) {
    if (auto st = Flush(a); !st.ok()) return st;
    Progress(fmt::format("redis bulk load of {} events in MULTI/EXEC batches of {} (rep {})",
                         o.bulk_events, o.batch, rep));
    GeneratorOptions g = o.generator;
    g.events = o.bulk_events;
    Generator gen(g);
    std::vector<v1::Event> batch;
    std::vector<std::string> datas;
    double busy = 0;
    uint64_t done = 0;
    while (done < o.bulk_events) {
      const size_t n = std::min<uint64_t>(o.batch, o.bulk_events - done);
      batch = gen.NextBatch(n);
      datas.resize(n);
      for (size_t i = 0; i < n; ++i) batch[i].SerializeToString(&datas[i]);
      const auto t0 = Clock::now();
      redisAppendCommand(a, "MULTI");
      for (size_t i = 0; i < n; ++i) {
        redisAppendCommand(a, "XADD bulk * id %s data %b", batch[i].id().c_str(), datas[i].data(),
                           datas[i].size());
      }
      redisAppendCommand(a, "EXEC");
      for (size_t i = 0; i < n + 2; ++i) {
        void* raw = nullptr;
        if (redisGetReply(a, &raw) != REDIS_OK) return absl::UnavailableError(a->errstr);
        Reply r(static_cast<redisReply*>(raw));
        if (auto st = Check(a, r.get(), "bulk"); !st.ok()) return st;
      }
      busy += SecondsSince(t0);
      done += n;
      if (done % 200000 == 0) Progress(fmt::format("  redis bulk {} events", done));
    }
    Emit({"bulk_append", "redis", "sync=on", "events_per_s", static_cast<double>(done) / busy,
          "ev/s", rep,
          fmt::format("{} events, MULTI/EXEC batches of {}, appendfsync always", done, o.batch)});
    const auto t0 = Clock::now();
    auto n = ReadStream(a, "bulk");
    if (!n.ok()) return n.status();
    const double secs = SecondsSince(t0);
    Emit({"read_stream", "redis", "", "events_per_s", static_cast<double>(*n) / secs, "ev/s", rep,
          fmt::format("{} events XRANGEd in pages of 1000 and parsed", *n)});
  }
  return Flush(a);
}

}  // namespace demarche::bench
