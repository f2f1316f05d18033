// Shared helpers for the tests of the bundled six-party-talks record.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "demarche/v1/bundle.pb.h"
#include "demarche/v1/event.pb.h"
#include "demarche/v1/scenario.pb.h"
#include "ledger/ledger.h"

namespace demarche::testing {

inline const std::string kSourceDir = DEMARCHE_SOURCE_DIR;
inline const std::string kBundleDir = kSourceDir + "/data/six-party-talks";
// The seed document (Quinones, June 2004), kept in the repository so that a
// clean clone checks the quotes with nothing beside it.
inline const std::string kSeedPath =
    kSourceDir + "/data/six-party-talks/source/000_540a05e8643012a8.txt";
inline const std::string kSeedDocument =
    "Quinones, North Korea's Multilateral Strategy in the Six Party Talks (June 2004)";

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One line of a .jsonl file, parsed.
struct Line {
  int number = 0;
  v1::Event event;
};

inline std::vector<Line> ReadEvents(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::vector<Line> out;
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.empty()) continue;
    Line line;
    line.number = number;
    auto status = google::protobuf::util::JsonStringToMessage(text, &line.event);
    EXPECT_TRUE(status.ok()) << path << " line " << number << ": " << status.ToString();
    out.push_back(std::move(line));
  }
  return out;
}

struct BundledBranch {
  std::string name;
  v1::BundleBranch bundle;
  std::vector<Line> events;
};

inline std::vector<BundledBranch> ReadBranches() {
  std::vector<BundledBranch> out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kBundleDir + "/branches"))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    BundledBranch b;
    b.name = file.stem().string();
    auto status = google::protobuf::util::JsonStringToMessage(ReadText(file.string()), &b.bundle);
    EXPECT_TRUE(status.ok()) << file << ": " << status.ToString();
    auto jsonl = file;
    jsonl.replace_extension(".jsonl");
    b.events = ReadEvents(jsonl.string());
    out.push_back(std::move(b));
  }
  return out;
}

// Deterministic bytes of an event's client content (envelope cleared).
inline std::string ClientBytes(const v1::Event& event) {
  v1::Event c = event;
  c.clear_scenario();
  c.clear_branch();
  c.clear_seq();
  c.clear_recorded_at();
  c.clear_recorded_by();
  c.clear_prev_hash();
  c.clear_hash();
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    c.SerializeToCodedStream(&coded);
  }
  return out;
}

// A fresh directory under the system temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() /
            ("demarche-data-test-" + std::to_string(::getpid()) + "-" + std::to_string(stamp) +
             "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<ledger::Ledger> OpenLedger(const std::string& path) {
  ledger::Options options;
  options.sync = false;  // tests: no fsync
  auto opened = ledger::Ledger::Open(path, options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? std::move(*opened) : nullptr;
}

// Every event of a branch lineage, in seq order.
inline std::vector<v1::Event> ReadAll(ledger::Ledger& ledger, const std::string& scenario,
                                      const std::string& branch) {
  std::vector<v1::Event> out;
  auto it = ledger.Read(scenario, branch, ledger::ReadOptions{});
  EXPECT_TRUE(it.ok()) << it.status();
  if (!it.ok()) return out;
  for (; (*it)->Valid(); (*it)->Next()) out.push_back((*it)->event());
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
  return out;
}

}  // namespace demarche::testing
