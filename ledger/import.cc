#include "ledger/import.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <istream>
#include <optional>
#include <ostream>
#include <sstream>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include "demarche/v1/bundle.pb.h"
#include "ledger/canonical.h"
#include "ledger/file.h"

namespace demarche::ledger {
namespace {

namespace fs = std::filesystem;
using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonPrintOptions;

// Debian's abseil keeps its own string_view: convert before formatting.
std::string Msg(const absl::Status& s) { return std::string(s.message()); }

absl::Status Prefixed(const absl::Status& s, std::string_view prefix) {
  return absl::Status(s.code(), fmt::format("{}: {}", prefix, Msg(s)));
}

// The ledger names the events of a batch "events[i]"; name their input lines
// instead. "events[3].move.demand.text: required" -> "line 17: move.demand...".
// Only the leading path is the ledger's: the rest of the message may quote
// input text (an invalid id "events[99999999999999999999]"), which is left
// as it is and must not be parsed as an index.
std::string NameLines(std::string_view msg, const std::vector<uint64_t>& lines) {
  constexpr std::string_view kTag = "events[";
  if (msg.substr(0, kTag.size()) != kTag) return std::string(msg);
  const char* digits = msg.data() + kTag.size();
  const char* end = msg.data() + msg.size();
  size_t index = 0;
  const auto [after, ec] = std::from_chars(digits, end, index);
  if (ec != std::errc() || after == end || *after != ']' || index >= lines.size())
    return std::string(msg);
  std::string_view rest(after + 1, static_cast<size_t>(end - after - 1));
  std::string out = fmt::format("line {}", lines[index]);
  if (!rest.empty() && rest.front() == '.') {
    out += ": ";
    rest.remove_prefix(1);
  }
  out.append(rest);
  return out;
}

absl::Status BatchError(const absl::Status& s, const std::vector<uint64_t>& lines) {
  std::string msg = NameLines(Msg(s), lines);
  if (msg.rfind("line ", 0) != 0 && !lines.empty())
    msg = fmt::format("lines {}-{}: {}", lines.front(), lines.back(), msg);
  return absl::Status(s.code(), msg);
}

// Deterministic bytes of the client-written part of an event (see
// ClientContent), for comparing an input event with the one already recorded
// under its id.
std::string ClientBytes(const v1::Event& event) { return CanonicalBytes(ClientContent(event)); }

bool Same(const ImportProgress& a, const ImportProgress& b) {
  return a.lines == b.lines && a.events == b.events && a.appended == b.appended &&
         a.already_present == b.already_present;
}

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

absl::Status ParseJson(std::string_view json, google::protobuf::Message* message,
                       std::string_view where) {
  JsonParseOptions options;  // strict: unknown fields are errors
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message, options);
  if (!status.ok())
    return absl::InvalidArgumentError(fmt::format("{}: invalid {} JSON: {}", where,
                                                  message->GetDescriptor()->name(),
                                                  status.message().ToString()));
  return absl::OkStatus();
}

class Importer {
 public:
  Importer(Ledger& ledger, std::string_view scenario, std::string_view branch,
           const ImportOptions& options)
      : ledger_(ledger), scenario_(scenario), branch_(branch), options_(options) {}

  absl::Status Add(v1::Event event, uint64_t line) {
    auto [it, fresh] = seen_.emplace(event.id(), line);
    if (!fresh)
      return absl::InvalidArgumentError(
          fmt::format("line {}: id: \"{}\" repeats line {}", line, event.id(), it->second));
    batch_.push_back(std::move(event));
    lines_.push_back(line);
    ++progress_.events;
    if (batch_.size() >= options_.batch_size) return Flush();
    return absl::OkStatus();
  }

  // Appends the pending batch and reports progress. The final flush reports
  // only if something changed since the last report (or nothing was reported).
  absl::Status Flush(bool final = false) {
    if (!batch_.empty()) {
      if (absl::Status s = AppendBatch(); !s.ok()) return s;
      batch_.clear();
      lines_.clear();
    } else if (!final) {
      return absl::OkStatus();
    }
    if (options_.progress && (!reported_ || !Same(progress_, last_))) {
      options_.progress(progress_);
      last_ = progress_;
      reported_ = true;
    }
    return absl::OkStatus();
  }

  ImportProgress& progress() { return progress_; }
  uint64_t head() const { return head_; }

 private:
  absl::Status AppendBatch() {
    auto result = ledger_.Append(scenario_, branch_, batch_, kAnyHead, options_.recorded_by);
    if (result.ok()) {
      (result->replayed ? progress_.already_present : progress_.appended) += batch_.size();
      head_ = result->head_seq;
      return absl::OkStatus();
    }
    if (result.status().code() != absl::StatusCode::kAlreadyExists)
      return BatchError(result.status(), lines_);

    // Some ids are already recorded (an interrupted or repeated import): keep
    // those whose content matches, refuse those that differ, append the rest.
    std::vector<v1::Event> fresh;
    std::vector<uint64_t> fresh_lines;
    for (size_t i = 0; i < batch_.size(); ++i) {
      auto found = ledger_.FindEvent(scenario_, branch_, batch_[i].id());
      if (found.ok()) {
        if (ClientBytes(*found) != ClientBytes(batch_[i]))
          return absl::AlreadyExistsError(fmt::format(
              "line {}: id: \"{}\" is already recorded at seq {} with different content", lines_[i],
              batch_[i].id(), found->seq()));
        ++progress_.already_present;
      } else if (found.status().code() == absl::StatusCode::kNotFound) {
        fresh.push_back(batch_[i]);
        fresh_lines.push_back(lines_[i]);
      } else {
        return Prefixed(found.status(), fmt::format("line {}", lines_[i]));
      }
    }
    if (fresh.empty()) return absl::OkStatus();
    auto retry = ledger_.Append(scenario_, branch_, fresh, kAnyHead, options_.recorded_by);
    if (!retry.ok()) return BatchError(retry.status(), fresh_lines);
    (retry->replayed ? progress_.already_present : progress_.appended) += fresh.size();
    head_ = retry->head_seq;
    return absl::OkStatus();
  }

  Ledger& ledger_;
  const std::string scenario_;
  const std::string branch_;
  const ImportOptions& options_;
  std::vector<v1::Event> batch_;
  std::vector<uint64_t> lines_;
  std::unordered_map<std::string, uint64_t> seen_;  // id -> first line
  ImportProgress progress_;
  ImportProgress last_;
  bool reported_ = false;
  uint64_t head_ = 0;
};

}  // namespace

absl::StatusOr<ImportResult> ImportJsonLines(Ledger& ledger, std::string_view scenario,
                                             std::string_view branch, std::istream& in,
                                             const ImportOptions& options) {
  if (options.batch_size == 0) return absl::InvalidArgumentError("batch_size: must be at least 1");
  Importer importer(ledger, scenario, branch, options);
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    importer.progress().lines = number;
    if (IsBlank(line)) continue;
    v1::Event event;
    if (absl::Status s = ParseJson(line, &event, fmt::format("line {}", number)); !s.ok()) return s;
    if (event.id().empty())
      return absl::InvalidArgumentError(fmt::format("line {}: id: required", number));
    if (absl::Status s = importer.Add(std::move(event), number); !s.ok()) return s;
  }
  if (in.bad()) return absl::DataLossError(fmt::format("line {}: read error", number + 1));
  if (absl::Status s = importer.Flush(/*final=*/true); !s.ok()) return s;

  ImportResult result;
  result.totals = importer.progress();
  result.head_seq = importer.head();
  if (result.totals.events == 0) {
    auto b = ledger.GetBranch(scenario, branch);
    if (!b.ok()) return b.status();
    result.head_seq = b->head_seq();
  }
  return result;
}

absl::StatusOr<uint64_t> ExportJsonLines(Ledger& ledger, std::string_view scenario,
                                         std::string_view branch, std::ostream& out) {
  auto it = ledger.Read(scenario, branch, ReadOptions{});
  if (!it.ok()) return it.status();
  JsonPrintOptions options;  // one line, lowerCamelCase names, enums by name
  uint64_t count = 0;
  std::string json;
  for (; (*it)->Valid(); (*it)->Next()) {
    json.clear();
    auto status = google::protobuf::util::MessageToJsonString((*it)->event(), &json, options);
    if (!status.ok())
      return absl::InternalError(fmt::format("seq {}: cannot print JSON: {}", (*it)->event().seq(),
                                             status.message().ToString()));
    out << json << '\n';
    if (!out) return absl::DataLossError(fmt::format("seq {}: write failed", (*it)->event().seq()));
    ++count;
  }
  if (absl::Status s = (*it)->status(); !s.ok()) return s;
  out.flush();
  if (!out) return absl::DataLossError("write failed");
  return count;
}

absl::StatusOr<LoadResult> LoadBundle(Ledger& ledger, const std::string& dir,
                                      std::string_view recorded_by) {
  const fs::path root(dir);
  LoadResult result;

  // ---- The scenario.
  auto scenario_json = ReadFile(root / "scenario.json");
  if (!scenario_json.ok()) return scenario_json.status();
  v1::Scenario scenario;
  if (absl::Status s = ParseJson(*scenario_json, &scenario, "scenario.json"); !s.ok()) return s;
  const std::string name = scenario.name();
  if (auto existing = ledger.GetScenario(name); !existing.ok()) {
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    auto created = ledger.CreateScenario(scenario, recorded_by);
    if (!created.ok()) return Prefixed(created.status(), "scenario.json");
    result.scenario_created = true;
  }

  ImportOptions options;
  options.recorded_by = std::string(recorded_by);
  auto import_file = [&](const fs::path& path, std::string_view branch) -> absl::Status {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(fmt::format("{}: cannot open", path.string()));
    auto imported = ImportJsonLines(ledger, name, branch, in, options);
    if (!imported.ok())
      return Prefixed(imported.status(), fs::relative(path, root).generic_string());
    result.events_appended += imported->totals.appended;
    result.events_present += imported->totals.already_present;
    return absl::OkStatus();
  };

  // ---- The record on main.
  if (absl::Status s = import_file(root / "events.jsonl", "main"); !s.ok()) return s;

  // ---- Branches, parents before children.
  const fs::path branches_dir = root / "branches";
  if (!fs::is_directory(branches_dir)) return result;
  struct Pending {
    fs::path json;
    v1::BundleBranch bundle;
  };
  std::vector<Pending> pending;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(branches_dir))
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string where = fs::relative(file, root).generic_string();
    auto text = ReadFile(file);
    if (!text.ok()) return text.status();
    Pending p{file, {}};
    if (absl::Status s = ParseJson(*text, &p.bundle, where); !s.ok()) return s;
    v1::Branch& b = *p.bundle.mutable_branch();
    if (b.name().empty()) b.set_name(file.stem().string());
    if (b.name() != file.stem().string())
      return absl::InvalidArgumentError(
          fmt::format("{}: branch.name: \"{}\" does not match the file name", where, b.name()));
    if (b.parent().empty()) b.set_parent("main");
    if (p.bundle.fork_after_event().empty())
      return absl::InvalidArgumentError(fmt::format("{}: fork_after_event: required", where));
    pending.push_back(std::move(p));
  }

  std::vector<std::string> done = {"main"};
  auto is_done = [&](const std::string& b) {
    return std::find(done.begin(), done.end(), b) != done.end();
  };
  auto in_bundle = [&](const std::string& b) {
    return std::any_of(pending.begin(), pending.end(),
                       [&](const Pending& p) { return p.bundle.branch().name() == b; });
  };
  while (!pending.empty()) {
    auto next = std::find_if(pending.begin(), pending.end(), [&](const Pending& p) {
      const std::string& parent = p.bundle.branch().parent();
      return is_done(parent) || !in_bundle(parent);
    });
    if (next == pending.end())
      return absl::InvalidArgumentError(
          fmt::format("{}: branch.parent: \"{}\" forms a cycle among the bundled branches",
                      fs::relative(pending.front().json, root).generic_string(),
                      pending.front().bundle.branch().parent()));
    Pending p = std::move(*next);
    pending.erase(next);
    const v1::Branch& b = p.bundle.branch();
    const std::string where = fs::relative(p.json, root).generic_string();

    auto fork = ledger.FindEvent(name, b.parent(), p.bundle.fork_after_event());
    if (!fork.ok()) return Prefixed(fork.status(), fmt::format("{}: fork_after_event", where));
    const uint64_t after_seq = fork->seq();

    auto existing = ledger.GetBranch(name, b.name());
    if (existing.ok()) {
      if (existing->parent() != b.parent() || existing->fork_after_seq() != after_seq)
        return absl::FailedPreconditionError(fmt::format(
            "{}: branch \"{}\" exists forking \"{}\" after seq {}, the bundle says \"{}\" after "
            "seq {} (\"{}\")",
            where, b.name(), existing->parent(), existing->fork_after_seq(), b.parent(), after_seq,
            p.bundle.fork_after_event()));
    } else if (existing.status().code() == absl::StatusCode::kNotFound) {
      std::optional<v1::PartialDate> cutoff;
      if (b.has_date_cutoff() && b.date_cutoff().year() != 0) cutoff = b.date_cutoff();
      auto created = ledger.CreateBranch(name, b.name(), b.parent(), after_seq, cutoff, recorded_by,
                                         b.description());
      if (!created.ok()) return Prefixed(created.status(), where);
      result.branches_created.push_back(b.name());
    } else {
      return existing.status();
    }

    fs::path events = p.json;
    events.replace_extension(".jsonl");
    if (fs::exists(events)) {
      if (absl::Status s = import_file(events, b.name()); !s.ok()) return s;
    }
    done.push_back(b.name());
  }
  return result;
}

namespace {

constexpr std::string_view kLoading = "loading";
constexpr std::string_view kLoaded = "loaded";

std::string BundleMarker(std::string_view scenario) { return fmt::format("bundle/{}", scenario); }

}  // namespace

absl::StatusOr<LoadOnceResult> LoadBundleOnce(Ledger& ledger, const std::string& dir,
                                              std::string_view recorded_by) {
  auto scenario_json = ReadFile(fs::path(dir) / "scenario.json");
  if (!scenario_json.ok()) return scenario_json.status();
  v1::Scenario scenario;
  if (absl::Status s = ParseJson(*scenario_json, &scenario, "scenario.json"); !s.ok()) return s;
  LoadOnceResult result;
  result.scenario = scenario.name();
  const std::string marker = BundleMarker(scenario.name());
  auto state = ledger.GetMarker(marker);
  if (!state.ok()) return state.status();
  if (*state == kLoaded) {
    result.outcome = LoadOnceResult::Outcome::kAlreadyLoaded;
    return result;
  }
  const bool exists = ledger.GetScenario(scenario.name()).ok();
  result.outcome =
      *state || exists ? LoadOnceResult::Outcome::kResumed : LoadOnceResult::Outcome::kLoaded;
  if (!*state) {
    if (absl::Status s = ledger.PutMarker(marker, kLoading); !s.ok()) return s;
  }
  auto loaded = LoadBundle(ledger, dir, recorded_by);
  if (!loaded.ok()) return loaded.status();
  result.load = *std::move(loaded);
  if (absl::Status s = ledger.PutMarker(marker, kLoaded); !s.ok()) return s;
  return result;
}

absl::StatusOr<std::vector<std::string>> UnfinishedBundleLoads(Ledger& ledger) {
  auto scenarios = ledger.ListScenarios();
  if (!scenarios.ok()) return scenarios.status();
  std::vector<std::string> unfinished;
  for (const v1::Scenario& s : *scenarios) {
    auto state = ledger.GetMarker(BundleMarker(s.name()));
    if (!state.ok()) return state.status();
    if (*state == kLoading) unfinished.push_back(s.name());
  }
  return unfinished;
}

}  // namespace demarche::ledger
