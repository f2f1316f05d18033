#include "bench/pg_peer.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <memory>

#include "bench/stats.h"

namespace demarche::bench {
namespace {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, PgConnDeleter>;
using Result = std::unique_ptr<PGresult, PgResultDeleter>;

absl::StatusOr<Conn> Connect(const std::string& conninfo) {
  Conn c(PQconnectdb(conninfo.c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK) {
    return absl::UnavailableError(fmt::format("postgres: {}", PQerrorMessage(c.get())));
  }
  return c;
}

absl::Status Check(PGconn* c, PGresult* r, const char* what) {
  const auto s = PQresultStatus(r);
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_SINGLE_TUPLE) {
    return absl::OkStatus();
  }
  return absl::InternalError(fmt::format("postgres {}: {}", what, PQerrorMessage(c)));
}

absl::Status Exec(PGconn* c, const std::string& sql) {
  Result r(PQexec(c, sql.c_str()));
  return Check(c, r.get(), sql.c_str());
}

// One statement, hence one transaction: take the next version under the
// stream row's lock and insert the event.
constexpr const char* kAppendOne =
    "WITH h AS (UPDATE streams SET head = head + 1 WHERE name = $1 RETURNING head) "
    "INSERT INTO events (stream, version, id, data) SELECT $1, head, $2, $3 FROM h";

class PgClient : public AppendClient {
 public:
  explicit PgClient(Conn c) : c_(std::move(c)) {}
  absl::Status Prepare() {
    Result r(PQprepare(c_.get(), "append1", kAppendOne, 3, nullptr));
    return Check(c_.get(), r.get(), "prepare");
  }
  absl::Status Append(const std::string& stream, const v1::Event& event) override {
    event.SerializeToString(&buf_);
    const char* values[3] = {stream.c_str(), event.id().c_str(), buf_.data()};
    const int lengths[3] = {0, 0, static_cast<int>(buf_.size())};
    const int formats[3] = {0, 0, 1};
    Result r(PQexecPrepared(c_.get(), "append1", 3, values, lengths, formats, 0));
    absl::Status st = Check(c_.get(), r.get(), "append");
    if (st.ok() && std::string(PQcmdTuples(r.get())) != "1") {
      return absl::NotFoundError(fmt::format("postgres: no stream {}", stream));
    }
    return st;
  }

 private:
  Conn c_;
  std::string buf_;
};

absl::Status ResetSchema(PGconn* c) {
  return Exec(c,
              "DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS streams;"
              "CREATE TABLE streams (name text PRIMARY KEY, head bigint NOT NULL);"
              "CREATE TABLE events (stream text NOT NULL, version bigint NOT NULL,"
              " id text NOT NULL, data bytea NOT NULL, UNIQUE (stream, version));"
              "CHECKPOINT;");
}

absl::Status CreateStreams(PGconn* c, const std::vector<std::string>& names) {
  std::string sql = "INSERT INTO streams VALUES ";
  for (size_t i = 0; i < names.size(); ++i) {
    sql += fmt::format("{}('{}', 0)", i ? "," : "", names[i]);
  }
  return Exec(c, sql);
}

// Appends `events` to `stream` in one transaction (one multi-row INSERT).
absl::Status AppendBatch(PGconn* c, const std::string& stream, const std::vector<std::string>& ids,
                         const std::vector<std::string>& datas) {
  const size_t n = ids.size();
  if (auto st = Exec(c, "BEGIN"); !st.ok()) return st;
  const char* v0[2] = {stream.c_str(), nullptr};
  const std::string count = std::to_string(n);
  v0[1] = count.c_str();
  Result h(
      PQexecParams(c, "UPDATE streams SET head = head + $2::bigint WHERE name = $1 RETURNING head",
                   2, nullptr, v0, nullptr, nullptr, 0));
  if (auto st = Check(c, h.get(), "head"); !st.ok()) return st;
  if (PQntuples(h.get()) != 1) return absl::NotFoundError("postgres: no stream");
  const long long head = std::atoll(PQgetvalue(h.get(), 0, 0));
  std::string sql = "INSERT INTO events (stream, version, id, data) VALUES ";
  std::vector<std::string> versions(n);
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (size_t i = 0; i < n; ++i) {
    sql += fmt::format("{}($1, ${}, ${}, ${})", i ? "," : "", 2 + 3 * i, 3 + 3 * i, 4 + 3 * i);
  }
  values.push_back(stream.c_str());
  lengths.push_back(0);
  formats.push_back(0);
  for (size_t i = 0; i < n; ++i) {
    versions[i] = std::to_string(head - static_cast<long long>(n) + 1 + static_cast<long long>(i));
    values.push_back(versions[i].c_str());
    values.push_back(ids[i].c_str());
    values.push_back(datas[i].data());
    lengths.insert(lengths.end(), {0, 0, static_cast<int>(datas[i].size())});
    formats.insert(formats.end(), {0, 0, 1});
  }
  Result r(PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        lengths.data(), formats.data(), 0));
  if (auto st = Check(c, r.get(), "insert"); !st.ok()) {
    Exec(c, "ROLLBACK").IgnoreError();
    return st;
  }
  return Exec(c, "COMMIT");
}

// Reads a whole stream in version order (single-row mode, binary), parsing
// each event. Returns the count.
absl::StatusOr<uint64_t> ReadStream(PGconn* c, const std::string& stream) {
  const char* v[1] = {stream.c_str()};
  if (!PQsendQueryParams(c, "SELECT data FROM events WHERE stream = $1 ORDER BY version", 1,
                         nullptr, v, nullptr, nullptr, 1)) {
    return absl::InternalError(PQerrorMessage(c));
  }
  PQsetSingleRowMode(c);
  uint64_t n = 0;
  v1::Event e;
  absl::Status st;
  while (PGresult* raw = PQgetResult(c)) {
    Result r(raw);
    if (PQresultStatus(raw) == PGRES_SINGLE_TUPLE) {
      if (!e.ParseFromArray(PQgetvalue(raw, 0, 0), PQgetlength(raw, 0, 0))) {
        st = absl::DataLossError("postgres: unparsable event");
      }
      ++n;
    } else if (auto s2 = Check(c, raw, "read"); !s2.ok()) {
      st = s2;
    }
  }
  if (!st.ok()) return st;
  return n;
}

}  // namespace

absl::Status RunPgBench(const PgBenchOptions& o) {
  auto admin = Connect(o.conninfo);
  if (!admin.ok()) return admin.status();
  PGconn* a = admin->get();
  Result ver(PQexec(a, "SHOW server_version"));
  Progress(fmt::format("postgresql {}", PQgetvalue(ver.get(), 0, 0)));
  Emit({"versions", "postgresql", "", "server_version", 0, "", 0, PQgetvalue(ver.get(), 0, 0)});
  if (auto st = Exec(a, "SET synchronous_commit = on"); !st.ok()) return st;

  const AppendClientFactory connect = [&](int) -> absl::StatusOr<std::unique_ptr<AppendClient>> {
    auto c = Connect(o.conninfo);
    if (!c.ok()) return c.status();
    auto client = std::make_unique<PgClient>(std::move(*c));
    if (auto st = client->Prepare(); !st.ok()) return st;
    return client;
  };
  for (int rep = 1; rep <= o.repeats; ++rep) {
    for (int shared = 1; shared >= 0; --shared) {
      for (int clients : o.clients) {
        if (auto st = ResetSchema(a); !st.ok()) return st;
        std::vector<std::string> streams{"shared"};
        for (int c = 0; c < clients; ++c) streams.push_back(fmt::format("s{}", c));
        if (auto st = CreateStreams(a, streams); !st.ok()) return st;
        AppendLoad load;
        load.clients = clients;
        load.seconds = o.seconds;
        load.shared_stream = shared;
        load.generator = o.generator;
        load.generator.events = 100000;
        Progress(fmt::format("postgresql durable appends, {} clients, {} stream (rep {})", clients,
                             shared ? "one shared" : "per-client", rep));
        if (o.server_pid) load.server_cpu = [&] { return TreeCpuSeconds(o.server_pid); };
        auto stats = RunAppendLoad(connect, load);
        if (!stats.ok()) return stats.status();
        EmitAppendStats(shared ? "durable_append" : "durable_append_own_stream", "postgresql",
                        fmt::format("clients={}", clients), rep, *stats);
      }
    }
  }

  for (int rep = 1; rep <= o.repeats; ++rep) {
    if (auto st = ResetSchema(a); !st.ok()) return st;
    if (auto st = CreateStreams(a, {"bulk"}); !st.ok()) return st;
    Progress(fmt::format("postgresql bulk load of {} events in transactions of {} (rep {})",
                         o.bulk_events, o.batch, rep));
    GeneratorOptions g = o.generator;
    g.events = o.bulk_events;
    Generator gen(g);
    std::vector<std::string> ids, datas;
    double busy = 0;
    uint64_t done = 0;
    while (done < o.bulk_events) {
      const size_t n = std::min<uint64_t>(o.batch, o.bulk_events - done);
      ids.clear();
      datas.clear();
      for (size_t i = 0; i < n; ++i) {
        v1::Event e = gen.Next();
        ids.push_back(e.id());
        datas.push_back(e.SerializeAsString());
      }
      const auto t0 = Clock::now();
      if (auto st = AppendBatch(a, "bulk", ids, datas); !st.ok()) return st;
      busy += SecondsSince(t0);
      done += n;
      if (done % 200000 == 0) Progress(fmt::format("  postgresql bulk {} events", done));
    }
    Emit({"bulk_append", "postgresql", "sync=on", "events_per_s", static_cast<double>(done) / busy,
          "ev/s", rep,
          fmt::format("{} events, batches of {}, synchronous_commit on", done, o.batch)});
    const auto t0 = Clock::now();
    auto n = ReadStream(a, "bulk");
    if (!n.ok()) return n.status();
    const double secs = SecondsSince(t0);
    Emit({"read_stream", "postgresql", "", "events_per_s", static_cast<double>(*n) / secs, "ev/s",
          rep, fmt::format("{} events read by stream and parsed", *n)});
  }
  return ResetSchema(a);
}

}  // namespace demarche::bench
