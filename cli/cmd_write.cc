// Writing moves: append (one batch, all or nothing) and import (JSON Lines in
// batches over one AppendStream).
#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/file.h"
#include "cli/output.h"
#include "cli/render.h"

namespace demarche::cli {
namespace {

struct Parsed {
  std::vector<v1::Event> events;
  std::vector<size_t> lines;  // 1-based line each event starts on
};

// One JSON event, a JSON array of events, or JSON Lines (one event a line).
Parsed ParseEvents(const std::string& text, const std::string& source) {
  Parsed out;
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) throw CliError(kRefused, fmt::format("{}: no events", source));
  std::string why;
  if (text[start] == '[') {
    // The array is exactly AppendRequest.events, so let protobuf parse it.
    v1::AppendRequest req;
    if (!FromJson("{\"events\":" + text + "}", &req, &why)) {
      throw CliError(kRefused, fmt::format("{}: not a JSON array of events: {}", source, why));
    }
    for (auto& e : *req.mutable_events()) out.events.push_back(std::move(e));
    out.lines.assign(out.events.size(), 1);
    return out;
  }
  v1::Event one;
  if (FromJson(text, &one, &why)) {
    out.events.push_back(std::move(one));
    out.lines.push_back(1);
    return out;
  }
  std::string whole_why = why;
  std::istringstream in(text);
  std::string line;
  size_t n = 0, nonblank = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++nonblank;
    v1::Event e;
    if (!FromJson(line, &e, &why)) {
      // A pretty-printed object fails line by line; report it whole instead.
      bool pretty = nonblank == 1 && line.find_first_not_of(" \t\r{") == std::string::npos;
      throw CliError(kRefused, pretty ? fmt::format("{}: not a JSON event: {}", source, whole_why)
                                      : fmt::format("{}:{}: not a JSON event: {}", source, n, why));
    }
    out.events.push_back(std::move(e));
    out.lines.push_back(n);
  }
  return out;
}

struct AppendOpts {
  std::string branch, file = "-";
  uint64_t expected_head = 0;
  bool has_expected = false;
};

int RunAppend(const Globals& g, const AppendOpts& o) {
  std::string source = o.file == "-" ? "stdin" : o.file;
  Parsed p = ParseEvents(ReadFileOrThrow(o.file), source);
  v1::AppendRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(o.branch);
  if (o.has_expected) req.set_expected_head(o.expected_head);
  for (auto& e : p.events) *req.add_events() = std::move(e);
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::AppendResponse resp;
  grpc::Status st = c.ledger().Append(&ctx, req, &resp);
  if (!st.ok()) return c.Fail(st, fmt::format("appending to {} (nothing was written)", o.branch));
  if (g.json) {
    PrintJson(resp);
    return kOk;
  }
  size_t n = static_cast<size_t>(req.events_size());
  fmt::print("{} {} event{} {} {}: seq {}..{} (head {}, hash {}…)\n",
             resp.replayed() ? "already recorded:" : "appended", n, n == 1 ? "" : "s",
             resp.replayed() ? "on" : "to", o.branch, resp.first_seq(), resp.last_seq(),
             resp.head_seq(), Hex(resp.head_hash(), 6));
  if (resp.events_size() > 0) {
    Table t(EventHeaders());
    for (const auto& e : resp.events()) t.Add(EventRow(e));
    fmt::print("{}", t.Render(TerminalWidth()));
  }
  return kOk;
}

struct ImportOpts {
  std::string branch, file;
  uint32_t batch = 500;
  uint64_t expected_head = 0;
  bool has_expected = false;
};

int RunImport(const Globals& g, const ImportOpts& o) {
  std::string source = o.file == "-" ? "stdin" : o.file;
  // Parse everything first: a bad line stops the import before anything is sent.
  Parsed p = ParseEvents(ReadFileOrThrow(o.file), source);
  size_t total = p.events.size(), batches = (total + o.batch - 1) / o.batch;
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx, true);
  auto stream = c.ledger().AppendStream(&ctx);
  // Write on one thread, read the answers on this one: the server answers
  // every batch, and nobody reading would stall both ends.
  std::thread writer([&] {
    for (size_t b = 0; b < batches; ++b) {
      v1::AppendRequest req;
      req.set_scenario(g.scenario);
      req.set_branch(o.branch);
      req.set_omit_events(true);  // only the seqs are reported
      if (b == 0 && o.has_expected) req.set_expected_head(o.expected_head);
      for (size_t i = b * o.batch; i < std::min(total, (b + 1) * o.batch); ++i) {
        *req.add_events() = std::move(p.events[i]);
      }
      if (!stream->Write(req)) break;
    }
    stream->WritesDone();
  });
  bool tty = isatty(STDERR_FILENO);
  auto last = std::chrono::steady_clock::now();
  size_t done = 0, answered = 0, replayed = 0;
  uint64_t first_seq = 0, last_seq = 0;
  v1::AppendResponse resp;
  while (stream->Read(&resp)) {
    size_t n = std::min(total, (answered + 1) * o.batch) - answered * o.batch;
    ++answered;
    done += n;
    if (resp.replayed()) replayed += n;
    if (first_seq == 0) first_seq = resp.first_seq();
    last_seq = resp.head_seq();
    auto now = std::chrono::steady_clock::now();
    if (now - last > std::chrono::milliseconds(tty ? 200 : 2000)) {
      last = now;
      fmt::print(stderr, "{}imported {}/{} events ({}%){}", tty ? "\r" : "", done, total,
                 done * 100 / total, tty ? "" : "\n");
    }
  }
  writer.join();
  grpc::Status st = stream->Finish();
  if (tty && total > o.batch) fmt::print(stderr, "\r\033[K");
  if (!st.ok()) {
    size_t first_line = answered * o.batch < total ? p.lines[answered * o.batch] : 0;
    fmt::print(
        stderr,
        "import stopped at batch {} of {} (from {} line {}); {} events before it were stored\n",
        answered + 1, batches, source, first_line, done);
    return c.Fail(st, fmt::format("importing into {}", o.branch));
  }
  if (g.json) {
    fmt::print("{{\"imported\":{},\"replayed\":{},\"batches\":{},\"head_seq\":\"{}\"}}\n", done,
               replayed, batches, last_seq);
  } else {
    fmt::print("imported {} events into {} in {} batch{}: seq {}..{}{}\n", done, o.branch, batches,
               batches == 1 ? "" : "es", first_seq, last_seq,
               replayed ? fmt::format(" ({} already recorded)", replayed) : "");
  }
  return kOk;
}

}  // namespace

void AddWriteCommands(CLI::App& app, Cli& cli) {
  const Globals& g = cli.globals;

  auto ao = std::make_shared<AppendOpts>();
  auto* append = app.add_subcommand(
      "append",
      "Append moves to a branch, all or nothing: a JSON event, a JSON array or JSON Lines");
  append->add_option("file", ao->file, "Input file, or - for stdin")->capture_default_str();
  append->add_option("-b,--branch", ao->branch, "Branch to append to")->required();
  auto* eh = append->add_option("--expected-head", ao->expected_head,
                                "Refuse unless the branch head is this seq");
  append->callback([&cli, &g, ao, eh] {
    ao->has_expected = eh->count() > 0;
    cli.action = [&g, ao] { return RunAppend(g, *ao); };
  });

  auto io = std::make_shared<ImportOpts>();
  auto* import = app.add_subcommand(
      "import", "Bulk-load JSON Lines into a branch in batches (progress on stderr)");
  import->add_option("file", io->file, "JSON Lines file, or - for stdin")->required();
  import->add_option("-b,--branch", io->branch, "Branch to load into")->required();
  import->add_option("--batch", io->batch, "Events per batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  auto* ieh = import->add_option("--expected-head", io->expected_head,
                                 "Refuse unless the branch head is this seq");
  import->callback([&cli, &g, io, ieh] {
    io->has_expected = ieh->count() > 0;
  cli.action = [&g, io] { return RunImport(g, *io); };
});
}  // namespace demarche::cli

}  // namespace demarche::cli
