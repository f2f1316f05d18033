// Helpers for ledger tests: a fresh temp directory per test, a scenario with
// the Six Party roster, and builders for valid events.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "ledger/date.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/store.h"

namespace demarche::ledger::ltest {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ledger-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The data directory opened with RocksDB alone, as tampering or another
// build would see it (the ledger must be closed).
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
    for (const char* name : kColumnFamilies) cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles_, &raw);
    if (!s.ok()) throw std::runtime_error("opening " + path + ": " + s.ToString());
    db_.reset(raw);
  }
  ~RawDb() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close().PermitUncheckedError();
  }
  rocksdb::DB& db() { return *db_; }
  // A column family by its name in kColumnFamilies.
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) {
    for (size_t i = 0; i < std::size(kColumnFamilies); ++i)
      if (name == kColumnFamilies[i]) return handles_.at(i + 1);
    throw std::invalid_argument("no column family " + std::string(name));
  }
  rocksdb::ColumnFamilyHandle* events() { return cf("events"); }
  rocksdb::ColumnFamilyHandle* branches() { return cf("branches"); }
  // Sids and bids are assigned from 1 in creation order: a first scenario
  // is 1, its main branch 1, the next branch 2.
  static std::string EventKey(uint64_t seq, uint32_t bid = 1) {
    return keys::EncodeEventKey({1, bid, seq});
  }
  static std::string DateKey(uint64_t seq, uint32_t sort_key, uint32_t bid = 1) {
    return keys::EncodeDateKey({1, bid, sort_key, seq});
  }
  rocksdb::ColumnFamilyHandle* dates() { return cf("dates"); }
  std::string Get(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    std::string v;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), cf, key, &v).ok()) << "no key";
    return v;
  }
  void Put(rocksdb::ColumnFamilyHandle* cf, const std::string& key, const std::string& value) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), cf, key, value).ok());
  }
  void Delete(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), cf, key).ok());
  }

 private:
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

inline Options FastOptions() {
  Options o;
  o.sync = false;  // durability is not under test here
  o.block_cache_bytes = 4 << 20;
  return o;
}

inline std::unique_ptr<Ledger> OpenOrDie(const std::string& path,
                                         const Options& options = FastOptions()) {
  auto ledger = Ledger::Open(path, options);
  EXPECT_TRUE(ledger.ok()) << ledger.status();
  return ledger.ok() ? *std::move(ledger) : nullptr;
}

inline v1::Scenario SixParty(const std::string& name = "s") {
  v1::Scenario s;
  s.set_name(name);
  s.set_title("Six Party Talks");
  for (const char* code : {"PRK", "USA", "CHN", "JPN", "RUS", "KOR"}) {
    v1::Party* p = s.add_roster();
    p->set_code(code);
    p->set_name(code);
    p->set_kind(v1::PARTY_KIND_STATE);
  }
  return s;
}

inline v1::PartialDate Date(const char* text) { return *ParseDate(text); }

// A valid statement by `actor` on `date` with one source.
inline v1::Event Statement(const std::string& id, const char* date = "2003-08-27",
                           const char* actor = "PRK") {
  v1::Event e;
  e.set_id(id);
  *e.mutable_occurred() = Date(date);
  e.add_actor(actor);
  e.add_recipients("USA");
  auto* st = e.mutable_move()->mutable_statement();
  st->set_issue("dprk-nuclear-programme");
  st->set_stance(v1::STANCE_CONDITIONAL);
  auto* src = e.add_sources();
  src->set_document("Quinones 2004");
  src->set_quote("a verbatim quote");
  e.set_summary("statement " + id);
  return e;
}

inline v1::Event Proposal(const std::string& id, const char* date = "2003-12-09") {
  v1::Event e = Statement(id, date);
  auto* p = e.mutable_move()->mutable_proposal();
  p->set_issue("dprk-nuclear-programme");
  p->set_title("package deal");
  auto* t = p->add_terms();
  t->set_giver("PRK");
  t->set_receiver("USA");
  t->set_what("freeze");
  return e;
}

// A correction retracting `target`.
inline v1::Event Retraction(const std::string& id, const std::string& target,
                            const char* date = "2003-09-01") {
  v1::Event e = Statement(id, date);
  v1::Correction* c = e.mutable_move()->mutable_correction();
  c->set_target(target);
  c->set_retract(true);
  c->set_reason("recorded in error");
  return e;
}

inline std::vector<v1::Event> Statements(const std::string& prefix, int n,
                                         const char* date = "2003-08-27") {
  std::vector<v1::Event> out;
  for (int i = 0; i < n; ++i) out.push_back(Statement(prefix + std::to_string(i), date));
  return out;
}

// Every event of a branch, forwards.
inline std::vector<v1::Event> ReadAll(Ledger& l, const std::string& scenario,
                                      const std::string& branch, ReadOptions o = {}) {
  std::vector<v1::Event> out;
  auto it = l.Read(scenario, branch, o);
  EXPECT_TRUE(it.ok()) << it.status();
  if (!it.ok()) return out;
  for (; (*it)->Valid(); (*it)->Next()) out.push_back((*it)->event());
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
  return out;
}

inline std::vector<uint64_t> Seqs(const std::vector<v1::Event>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq());
  return out;
}

inline std::vector<std::string> Ids(const std::vector<v1::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.id());
  return out;
}

// A fixture with an open ledger and scenario "s".
class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = OpenOrDie(dir_.path());
    ASSERT_NE(ledger_, nullptr);
    ASSERT_TRUE(ledger_->CreateScenario(SixParty(), "curator").ok());
  }
  void Reopen(const Options& o = FastOptions()) {
    ledger_.reset();
    ledger_ = OpenOrDie(dir_.path(), o);
    ASSERT_NE(ledger_, nullptr);
  }
  AppendResult AppendOk(const std::string& branch, const std::vector<v1::Event>& events,
                        uint64_t expected = kAnyHead) {
    auto r = ledger_->Append("s", branch, events, expected, "tester");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : AppendResult{};
  }
  uint64_t Head(const std::string& branch) {
    auto b = ledger_->GetBranch("s", branch);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? b->head_seq() : 0;
  }

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
};

}  // namespace demarche::ledger::ltest
