// Offline tamper evidence: the ledger is closed, its RocksDB data directory is
// opened directly (column families from ledger/store.h), stored events are
// changed, the ledger is reopened under a real server on 127.0.0.1:0, and
// AuditService.Verify over gRPC must name the first affected seq with a
// reason.
//
// The byte sweep covers every byte position of the stored event at seq 3,
// twice (the byte inverted, and its lowest bit flipped), each change in a
// chain of its own, with a full close and reopen between rounds. A reopen
// costs tens of milliseconds, so one round changes kCopies chains at once:
// kCopies scenarios hold the same five events, and their seq-3 values have
// the same byte layout (checked: same size, same field offsets), so byte i of
// copy j is byte i of the same field of the same event. Also: a deleted
// event, and two swapped events.
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/stubs/logging.h>
#include <rocksdb/db.h>

#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>

#include "demarche/v1/audit_service.grpc.pb.h"
#include "ledger/canonical.h"
#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger_test_util.h"
#include "services/server.h"

namespace demarche::ledger {
namespace {

constexpr uint64_t kTarget = 3;  // the event the sweep changes
constexpr uint64_t kEvents = 5;
constexpr int kCopies = 24;

// The data directory opened with RocksDB alone (the ledger must be closed);
// errors throw, since a sweep of thousands of changes cannot go on after one.
class Offline {
 public:
  explicit Offline(const std::string& path) : raw_(path) {}
  // The key of `seq` in each scenario's main branch, found by reading the
  // stored events (scenario name -> key).
  std::map<std::string, std::string> Keys(uint64_t seq) {
    std::map<std::string, std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(raw_.db().NewIterator(rocksdb::ReadOptions(), events()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto k = keys::DecodeEventKey(it->key().ToStringView());
      v1::Event e;
      if (k && k->seq == seq && e.ParseFromString(it->value().ToString()) && e.branch() == "main")
        out[e.scenario()] = it->key().ToString();
    }
    Check(it->status(), "scanning");
    return out;
  }
  std::string Get(const std::string& key) {
    std::string v;
    Check(raw_.db().Get(rocksdb::ReadOptions(), events(), key, &v), "reading");
    return v;
  }
  void Put(const std::string& key, const std::string& value) {
    Check(raw_.db().Put(rocksdb::WriteOptions(), events(), key, value), "writing");
  }
  void Delete(const std::string& key) {
    Check(raw_.db().Delete(rocksdb::WriteOptions(), events(), key), "deleting");
  }

 private:
  static void Check(const rocksdb::Status& s, const char* what) {
    if (!s.ok()) throw std::runtime_error(std::string(what) + ": " + s.ToString());
  }
  rocksdb::ColumnFamilyHandle* events() { return raw_.events(); }
  ltest::RawDb raw_;
};

// A proposal using most of the schema: a span, several parties, terms with
// quantities, conditions, two sources, a weight, a CAMEO code, non-ASCII text.
v1::Event RichProposal() {
  v1::Event e = ltest::Proposal("2003-12-prk-package-deal", "2003-12-09");
  *e.mutable_occurred_end() = ltest::Date("2003-12-10");
  e.add_recipients("CHN");
  e.add_recipients("JPN");
  auto* p = e.mutable_move()->mutable_proposal();
  auto* t = p->add_terms();
  t->set_giver("USA");
  t->set_receiver("PRK");
  t->set_what("heavy fuel oil");
  t->set_quantity(500000);
  t->set_unit("t");
  p->add_conditions("simultaneous actions");
  e.mutable_move()->set_cameo_code("036");
  e.mutable_move()->set_weight(4.5);
  auto* src = e.add_sources();
  src->set_document("Quinones, «North Korea's Multilateral Strategy» (2004)");
  src->set_locator("p. 3");
  src->set_quote("a “package deal” — freeze for energy aid");
  e.set_context(v1::CONTEXT_HISTORICAL);
  e.set_summary("Pyongyang's package deal: a freeze in return for fuel oil, aid and delisting");
  return e;
}

std::vector<v1::Event> Record() {
  std::vector<v1::Event> events = {ltest::Statement("e1", "2003-08-27"),
                                   ltest::Statement("e2", "2003-08-28", "USA"), RichProposal()};
  v1::Event response = ltest::Statement("e4", "2003-12-20", "USA");
  auto* r = response.mutable_move()->mutable_response();
  r->set_target("2003-12-prk-package-deal");
  r->set_kind(v1::RESPONSE_KIND_REJECT);
  events.push_back(response);
  events.push_back(ltest::Statement("e5", "2004-05-12", "CHN"));
  return events;
}

// Where each top-level field ends in the canonical bytes (fields are
// serialized in number order): equal layouts mean byte i is the same part of
// the same field in both values.
std::vector<size_t> Layout(const v1::Event& e) {
  std::vector<size_t> out;
  v1::Event prefix = e;
  const auto* d = e.GetDescriptor();
  for (int i = d->field_count() - 1; i >= 0; --i) {
    out.push_back(CanonicalBytes(prefix).size());
    prefix.GetReflection()->ClearField(&prefix, d->field(i));
  }
  return out;
}

class TamperSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = ltest::OpenOrDie(dir_.path());
    ASSERT_NE(ledger, nullptr);
    for (int i = 0; i < kCopies; ++i) {
      const std::string name = fmt::format("s{:02}", i);  // names of one length
      ASSERT_TRUE(ledger->CreateScenario(ltest::SixParty(name), "curator").ok());
      auto appended = ledger->Append(name, "main", Record(), 0, "curator");
      ASSERT_TRUE(appended.ok()) << appended.status();
      ASSERT_EQ(appended->head_seq, kEvents);
    }
  }

  // Reopens the (closed) ledger, serves it, and verifies each scenario's
  // main through AuditService.Verify.
  std::map<std::string, VerifyResult> VerifyAll(const std::vector<std::string>& scenarios) {
    std::map<std::string, VerifyResult> out;
    auto ledger = ltest::OpenOrDie(dir_.path());
    if (ledger == nullptr) return out;
    services::ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto server = services::Server::Start(ledger.get(), options);
    if (!server.ok()) {
      ADD_FAILURE() << server.status();
      return out;
    }
    auto audit = v1::AuditService::NewStub(
        grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
    for (const std::string& s : scenarios) {
      v1::VerifyRequest request;
      request.set_scenario(s);
      request.set_branch("main");
      v1::VerifyResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      grpc::Status status = audit->Verify(&context, request, &response);
      EXPECT_TRUE(status.ok()) << s << ": " << status.error_message();
      if (!status.ok() || response.branches_size() != 1) continue;
      const v1::BranchVerification& b = response.branches(0);
      EXPECT_EQ(b.ok(), response.ok());
      out[s] = VerifyResult{b.ok(), b.checked(), b.first_bad_seq(), b.reason()};
    }
    (*server)->Shutdown(std::chrono::milliseconds(0));
    return out;
  }
  VerifyResult Verify(const std::string& scenario = "s00") {
    return VerifyAll({scenario})[scenario];
  }

  ltest::TempDir dir_;
  google::protobuf::LogSilencer quiet_;  // unparsable bytes are expected here
};

TEST_F(TamperSweepTest, EveryBytePositionOfAStoredEventIsNamed) {
  std::vector<std::string> copies, originals;  // scenario, its seq-3 value
  std::vector<std::string> keys;
  {
    Offline db(dir_.path());
    std::vector<size_t> layout;
    for (const auto& [scenario, key] : db.Keys(kTarget)) {
      const std::string value = db.Get(key);
      v1::Event e;
      ASSERT_TRUE(e.ParseFromString(value));
      if (!originals.empty() && (value.size() != originals[0].size() || Layout(e) != layout))
        continue;  // recorded_at's varints took another length: not a copy of the layout
      if (originals.empty()) layout = Layout(e);
      copies.push_back(scenario);
      keys.push_back(key);
      originals.push_back(value);
    }
  }
  ASSERT_GE(copies.size(), 4u) << "too few scenarios share the event's byte layout";
  const size_t size = originals[0].size();
  ASSERT_GT(size, 400u);
  for (const auto& [s, v] : VerifyAll(copies)) ASSERT_TRUE(v.ok && v.checked == kEvents) << s;

  std::map<std::string, int> reasons;  // reason without numbers -> count
  size_t changes = 0, unparsable = 0, reopens = 0;
  for (const uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}}) {
    for (size_t base = 0; base < size; base += copies.size()) {
      std::vector<std::string> tampered(copies.size());
      {
        Offline db(dir_.path());
        for (size_t j = 0; j < copies.size(); ++j) {
          tampered[j] = originals[j];
          if (base + j < size) tampered[j][base + j] ^= static_cast<char>(mask);
          db.Put(keys[j], tampered[j]);  // restores the copies left over
        }
      }
      const auto results = VerifyAll(copies);
      ++reopens;
      for (size_t j = 0; j < copies.size(); ++j) {
        const VerifyResult& v = results.at(copies[j]);
        if (base + j >= size) {
          EXPECT_TRUE(v.ok) << copies[j] << ": " << v.reason;
          continue;
        }
        ++changes;
        const std::string at = fmt::format("byte {} of {} ^ {:#04x}", base + j, size, mask);
        ASSERT_FALSE(v.ok) << at;
        ASSERT_EQ(v.first_bad_seq, kTarget) << at << ": " << v.reason;
        ASSERT_EQ(v.checked, kTarget - 1) << at;
        ASSERT_FALSE(v.reason.empty()) << at;
        if (v1::Event parsed; !parsed.ParseFromString(tampered[j])) {
          ++unparsable;
          EXPECT_EQ(v.reason, "stored bytes do not parse as an event") << at;
        }
        reasons[v.reason.substr(0, v.reason.find_first_of("0123456789("))]++;
      }
    }
  }
  {
    Offline db(dir_.path());
    for (size_t j = 0; j < copies.size(); ++j) db.Put(keys[j], originals[j]);
  }
  for (const auto& [s, v] : VerifyAll(copies)) EXPECT_TRUE(v.ok && v.checked == kEvents) << s;

  EXPECT_EQ(changes, 2 * size);
  std::string summary;
  for (const auto& [reason, n] : reasons) summary += fmt::format("\n  {:4}  {}", n, reason);
  std::cout << fmt::format(
                   "{} byte positions x 2 masks = {} changes in {} reopens ({} copies of the "
                   "layout); {} left the bytes unparsable. Reasons:{}",
                   size, changes, reopens, copies.size(), unparsable, summary)
            << std::endl;
}

TEST_F(TamperSweepTest, ADeletedEventIsNamed) {
  for (uint64_t seq : {uint64_t{1}, kTarget, kEvents}) {
    std::string key, saved;
    {
      Offline db(dir_.path());
      key = db.Keys(seq).at("s00");
      saved = db.Get(key);
      db.Delete(key);
    }
    const VerifyResult v = Verify();
    EXPECT_FALSE(v.ok) << "seq " << seq;
    EXPECT_EQ(v.first_bad_seq, seq);
    EXPECT_EQ(v.checked, seq - 1);
    EXPECT_TRUE(v.reason.starts_with(fmt::format("seq {} is missing", seq))) << v.reason;
    Offline(dir_.path()).Put(key, saved);
    EXPECT_TRUE(Verify().ok);
  }
}

TEST_F(TamperSweepTest, SwappedEventsNameTheFirst) {
  for (auto [a, b] : {std::pair<uint64_t, uint64_t>{2, 4}, {kTarget, kTarget + 1}, {1, kEvents}}) {
    std::string ka, kb, va, vb;
    {
      Offline db(dir_.path());
      ka = db.Keys(a).at("s00");
      kb = db.Keys(b).at("s00");
      va = db.Get(ka);
      vb = db.Get(kb);
      db.Put(ka, vb);
      db.Put(kb, va);
    }
    const VerifyResult v = Verify();
    EXPECT_FALSE(v.ok) << a << "<->" << b;
    EXPECT_EQ(v.first_bad_seq, a) << v.reason;
    EXPECT_EQ(v.checked, a - 1);
    EXPECT_EQ(v.reason, fmt::format("the event stored at seq {} says seq {}", a, b));
    {
      Offline db(dir_.path());
      db.Put(ka, va);
      db.Put(kb, vb);
    }
    EXPECT_TRUE(Verify().ok);
  }
}

}  // namespace
}  // namespace demarche::ledger
