// Verify against tampering done directly in RocksDB: changed bytes, deleted
// and swapped events, a consistently rewritten event, a forged head, and a
// date index that no longer matches the events.
#include <memory>

#include <gtest/gtest.h>

#include "ledger/canonical.h"
#include "ledger/keys.h"
#include "ledger/rocks_ledger.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using ltest::Statement;

using ltest::RawDb;

class VerifyTest : public ltest::LedgerTest {
 protected:
  void SetUp() override {
    LedgerTest::SetUp();
    AppendOk("main", ltest::Statements("a", 5));
  }
  // Closes the ledger, lets `tamper` change the raw database, reopens.
  template <typename F>
  void Tamper(F tamper) {
    ledger_.reset();
    {
      RawDb raw(dir_.path());
      tamper(raw);
    }
    Reopen();
  }
  VerifyResult VerifyMain(const char* branch = "main") {
    auto v = ledger_->Verify("s", branch);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : VerifyResult{};
  }
};

TEST_F(VerifyTest, AnIntactChainVerifies) {
  const VerifyResult v = VerifyMain();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.checked, 5u);
  Reopen();
  EXPECT_TRUE(VerifyMain().ok);
}

TEST_F(VerifyTest, AnOverwrittenEventIsNamed) {
  Tamper([](RawDb& raw) {
    std::string v = raw.Get(raw.events(), RawDb::EventKey(3));
    v[v.size() / 2] ^= 0x20;
    raw.Put(raw.events(), RawDb::EventKey(3), v);
  });
  const VerifyResult v = VerifyMain();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 3u);
  EXPECT_EQ(v.checked, 2u);
  EXPECT_FALSE(v.reason.empty());
}

// Every single-byte change anywhere in a stored event value is caught and
// names that event. Hundreds of reopens would be slow, so this one writes
// through the open ledger's own RocksDB handle (still bypassing the ledger).
TEST_F(VerifyTest, EverySingleByteChangeIsDetected) {
  Store& store = dynamic_cast<RocksLedger&>(*ledger_).store_for_testing();
  const std::string key = RawDb::EventKey(4);
  std::string original;
  ASSERT_TRUE(store.db->Get(rocksdb::ReadOptions(), store.events, key, &original).ok());
  ASSERT_GT(original.size(), 100u);
  for (size_t i = 0; i < original.size(); ++i) {
    for (int mask = 1; mask < 256; mask <<= 1) {
      std::string v = original;
      v[i] = static_cast<char>(v[i] ^ mask);
      ASSERT_TRUE(store.db->Put(rocksdb::WriteOptions(), store.events, key, v).ok());
      const VerifyResult r = VerifyMain();
      EXPECT_FALSE(r.ok) << "byte " << i << " mask " << mask;
      EXPECT_EQ(r.first_bad_seq, 4u) << "byte " << i << " mask " << mask << ": " << r.reason;
    }
  }
  ASSERT_TRUE(store.db->Put(rocksdb::WriteOptions(), store.events, key, original).ok());
  EXPECT_TRUE(VerifyMain().ok);
}

TEST_F(VerifyTest, ADeletedEventIsNamed) {
  Tamper([](RawDb& raw) { raw.Delete(raw.events(), RawDb::EventKey(2)); });
  VerifyResult v = VerifyMain();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 2u);
  EXPECT_EQ(v.reason, "seq 2 is missing (the next stored event is seq 3)");
  Tamper([](RawDb& raw) {
    raw.Put(raw.events(), RawDb::EventKey(2), raw.Get(raw.events(), RawDb::EventKey(3)));
    raw.Delete(raw.events(), RawDb::EventKey(5));
  });
  v = VerifyMain();
  EXPECT_EQ(v.first_bad_seq, 2u) << "a copy of seq 3 is not seq 2";
}

TEST_F(VerifyTest, ADeletedHeadEventIsNamed) {
  Tamper([](RawDb& raw) { raw.Delete(raw.events(), RawDb::EventKey(5)); });
  const VerifyResult v = VerifyMain();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 5u);
  EXPECT_EQ(v.reason, "seq 5 is missing");
}

TEST_F(VerifyTest, SwappedEventsAreNamed) {
  Tamper([](RawDb& raw) {
    const std::string two = raw.Get(raw.events(), RawDb::EventKey(2));
    const std::string three = raw.Get(raw.events(), RawDb::EventKey(3));
    raw.Put(raw.events(), RawDb::EventKey(2), three);
    raw.Put(raw.events(), RawDb::EventKey(3), two);
  });
  const VerifyResult v = VerifyMain();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 2u);
  EXPECT_EQ(v.reason, "the event stored at seq 2 says seq 3");
}

// Rewriting an event and recomputing its hash still breaks the next link.
TEST_F(VerifyTest, AConsistentlyRewrittenEventBreaksTheNextLink) {
  Tamper([](RawDb& raw) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(raw.Get(raw.events(), RawDb::EventKey(3))));
    e.set_summary("history rewritten");
    e.set_hash(EventHash(e));
    raw.Put(raw.events(), RawDb::EventKey(3), CanonicalBytes(e));
  });
  VerifyResult v = VerifyMain();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 4u);
  EXPECT_EQ(v.reason, "prev_hash does not match the hash of seq 3");
  // At the head, the head record gives it away.
  Tamper([](RawDb& raw) {
    for (uint64_t seq : {3, 5}) {
      v1::Event e;
      ASSERT_TRUE(e.ParseFromString(raw.Get(raw.events(), RawDb::EventKey(seq))));
      if (seq == 3) e.set_summary("statement a2");  // restore
      if (seq == 5) e.set_summary("history rewritten");
      e.set_hash(EventHash(e));
      raw.Put(raw.events(), RawDb::EventKey(seq), CanonicalBytes(e));
    }
  });
  v = VerifyMain();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 5u);
  EXPECT_TRUE(v.reason.starts_with("branch head record names hash")) << v.reason;
}

TEST_F(VerifyTest, TamperingInAParentShowsInTheBranch) {
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 4, {}, "a", "").ok());
  AppendOk("b", ltest::Statements("b", 2));  // 5, 6 in branch bid 2
  Tamper([](RawDb& raw) {
    std::string v = raw.Get(raw.events(), RawDb::EventKey(2));
    v[10] ^= 1;
    raw.Put(raw.events(), RawDb::EventKey(2), v);
    std::string own = raw.Get(raw.events(), RawDb::EventKey(6, 2));
    own[20] ^= 1;
    raw.Put(raw.events(), RawDb::EventKey(6, 2), own);
  });
  EXPECT_EQ(VerifyMain("b").first_bad_seq, 2u);
  Tamper([](RawDb& raw) {
    std::string v = raw.Get(raw.events(), RawDb::EventKey(2));
    v[10] ^= 1;  // restore main
    raw.Put(raw.events(), RawDb::EventKey(2), v);
  });
  EXPECT_TRUE(VerifyMain("main").ok);
  const VerifyResult v = VerifyMain("b");
  EXPECT_EQ(v.first_bad_seq, 6u) << v.reason;
  EXPECT_EQ(v.checked, 5u);
}

// The date index, which every read by date and every replay trusts, is
// audited with the chain. Seq 6 is dated before the branch's year, so its
// entry holds a copy of it; seq 7 (year precision, the same year) does not.
class VerifyDatesTest : public VerifyTest {
 protected:
  static constexpr uint32_t kDay = 20030827, kOld = 19990301, kYear = 20030000;
  void SetUp() override {
    VerifyTest::SetUp();
    AppendOk("main", {Statement("old", "1999-03-01"), Statement("year", "2003")});
  }
  void ExpectBad(uint64_t seq, const std::string& reason_part) {
    const VerifyResult v = VerifyMain();
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, seq) << v.reason;
    EXPECT_EQ(v.checked, std::min<uint64_t>(seq - 1, 7)) << v.reason;
    EXPECT_NE(v.reason.find(reason_part), std::string::npos) << v.reason;
  }
};

TEST_F(VerifyDatesTest, AnIntactDateIndexWithItsCopyVerifies) {
  ledger_.reset();
  {
    RawDb raw(dir_.path());
    EXPECT_EQ(raw.Get(raw.dates(), RawDb::DateKey(6, kOld)),
              raw.Get(raw.events(), RawDb::EventKey(6)));
    EXPECT_EQ(raw.Get(raw.dates(), RawDb::DateKey(7, kYear)), "");
    EXPECT_EQ(raw.Get(raw.dates(), RawDb::DateKey(3, kDay)), "");
  }
  Reopen();
  const VerifyResult v = VerifyMain();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.checked, 7u);
}

TEST_F(VerifyDatesTest, AMissingOrMovedEntryIsNamed) {
  Tamper([](RawDb& raw) { raw.Delete(raw.dates(), RawDb::DateKey(3, kDay)); });
  ExpectBad(3, "seq 3 has no date index entry");
  Tamper([](RawDb& raw) {
    raw.Put(raw.dates(), RawDb::DateKey(3, kDay), "");
    raw.Delete(raw.dates(), RawDb::DateKey(4, kDay));
    raw.Put(raw.dates(), RawDb::DateKey(4, 20030101), "");
  });
  ExpectBad(4, "files seq 4 under date key 20030101, but the event is dated 20030827");
  Tamper([](RawDb& raw) {
    raw.Delete(raw.dates(), RawDb::DateKey(4, 20030101));
    raw.Put(raw.dates(), RawDb::DateKey(4, kDay), "");
    raw.Put(raw.dates(), RawDb::DateKey(2, 19500101), "");  // a second entry
  });
  ExpectBad(2, "seq 2");
  Tamper([](RawDb& raw) {
    raw.Delete(raw.dates(), RawDb::DateKey(2, 19500101));
    raw.Put(raw.dates(), RawDb::DateKey(9, kDay), "");  // no such event
  });
  ExpectBad(9, "an entry for seq 9, which is not an event of branch \"main\"");
  Tamper([](RawDb& raw) { raw.Delete(raw.dates(), RawDb::DateKey(9, kDay)); });
  EXPECT_TRUE(VerifyMain().ok);
}

TEST_F(VerifyDatesTest, AnAlteredMissingOrStrayCopyIsNamed) {
  std::string copy;
  Tamper([&](RawDb& raw) {
    copy = raw.Get(raw.dates(), RawDb::DateKey(6, kOld));
    std::string altered = copy;
    altered[altered.size() / 2] ^= 0x01;
    raw.Put(raw.dates(), RawDb::DateKey(6, kOld), altered);
  });
  ExpectBad(6, "holds bytes that differ from the event");
  Tamper([](RawDb& raw) { raw.Put(raw.dates(), RawDb::DateKey(6, kOld), ""); });
  ExpectBad(6, "lacks its copy of the event");
  Tamper([&](RawDb& raw) {
    raw.Put(raw.dates(), RawDb::DateKey(6, kOld), copy);
    raw.Put(raw.dates(), RawDb::DateKey(7, kYear), raw.Get(raw.events(), RawDb::EventKey(7)));
  });
  ExpectBad(7, "holds bytes, but the event is not dated before its branch's year");
  Tamper([](RawDb& raw) { raw.Put(raw.dates(), RawDb::DateKey(7, kYear), ""); });
  EXPECT_TRUE(VerifyMain().ok);
}

// A branch forked early from a long parent checks the parent's part entry
// by entry; one forked late scans the parent's index. Both see a gap.
TEST_F(VerifyDatesTest, AParentsDateIndexIsCheckedFromTheBranch) {
  ASSERT_TRUE(ledger_->CreateBranch("s", "early", "main", 2, {}, "a", "").ok());
  ASSERT_TRUE(ledger_->CreateBranch("s", "late", "main", 6, {}, "a", "").ok());
  AppendOk("early", ltest::Statements("e", 1));
  AppendOk("late", ltest::Statements("l", 1));
  EXPECT_TRUE(VerifyMain("early").ok);
  EXPECT_TRUE(VerifyMain("late").ok);
  Tamper([](RawDb& raw) {
    raw.Delete(raw.dates(), RawDb::DateKey(2, kDay));
    raw.Put(raw.dates(), RawDb::DateKey(6, kOld), "");
  });
  VerifyResult v = VerifyMain("early");
  EXPECT_EQ(v.first_bad_seq, 2u) << v.reason;
  EXPECT_NE(v.reason.find("no date index entry"), std::string::npos) << v.reason;
  v = VerifyMain("late");
  EXPECT_EQ(v.first_bad_seq, 2u) << v.reason;
  Tamper([](RawDb& raw) { raw.Put(raw.dates(), RawDb::DateKey(2, kDay), ""); });
  v = VerifyMain("late");
  EXPECT_EQ(v.first_bad_seq, 6u) << v.reason;
  EXPECT_TRUE(VerifyMain("early").ok);
}

// A long chain is walked in two halves on two threads (from 32768 events):
// a fault in either half, or in the link between them, is named as in one
// walk. Seq 20001, the second half's first event, is dated before the first
// half's year, so its entry holds a copy that only the first half's walk
// shows to be due.
class VerifyLongChainTest : public ltest::LedgerTest {
 protected:
  static constexpr uint64_t kEvents = 40000, kMid = kEvents / 2;
  void SetUp() override {
    LedgerTest::SetUp();
    // Copies due in both halves too (seqs 10001 and 35001).
    for (uint64_t done = 0; done < kMid; done += 5000) {
      std::vector<v1::Event> batch = ltest::Statements("a" + std::to_string(done) + "-", 5000);
      if (done == 10000) *batch[0].mutable_occurred() = ltest::Date("1998-01-01");
      AppendOk("main", batch);
    }
    AppendOk("main", {Statement("old", "1999-01-01")});
    for (uint64_t next = kMid + 2; next <= kEvents; next += 5000) {
      std::vector<v1::Event> batch =
          ltest::Statements("b" + std::to_string(next) + "-",
                            static_cast<int>(std::min<uint64_t>(5000, kEvents - next + 1)));
      if (next == 30002) *batch.back().mutable_occurred() = ltest::Date("1997-01-01");
      AppendOk("main", batch);
    }
    ASSERT_EQ(Head("main"), kEvents);
  }
  template <typename F>
  VerifyResult TamperAndVerify(F tamper) {
    ledger_.reset();
    {
      RawDb raw(dir_.path());
      tamper(raw);
    }
    Reopen();
    auto v = ledger_->Verify("s", "main");
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : VerifyResult{};
  }
  static void Flip(RawDb& raw, rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    std::string v = raw.Get(cf, key);
    v[v.size() / 2] ^= 0x04;
    raw.Put(cf, key, v);
  }
  static inline const std::string kOldEntry = RawDb::DateKey(kMid + 1, 19990101);
};

TEST_F(VerifyLongChainTest, BothHalvesTheirLinkAndTheDueCopyAreChecked) {
  VerifyResult v = TamperAndVerify([](RawDb& raw) {
    EXPECT_EQ(raw.Get(raw.dates(), kOldEntry), raw.Get(raw.events(), RawDb::EventKey(kMid + 1)));
    EXPECT_EQ(raw.Get(raw.dates(), RawDb::DateKey(10001, 19980101)),
              raw.Get(raw.events(), RawDb::EventKey(10001)));
    EXPECT_EQ(raw.Get(raw.dates(), RawDb::DateKey(35001, 19970101)),
              raw.Get(raw.events(), RawDb::EventKey(35001)));
  });
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.checked, kEvents);

  v = TamperAndVerify([](RawDb& raw) { Flip(raw, raw.dates(), kOldEntry); });
  EXPECT_EQ(v.first_bad_seq, kMid + 1) << v.reason;
  EXPECT_NE(v.reason.find("differ from the event"), std::string::npos) << v.reason;
  v = TamperAndVerify([](RawDb& raw) { raw.Put(raw.dates(), kOldEntry, ""); });
  EXPECT_NE(v.reason.find("lacks its copy"), std::string::npos) << v.reason;
  v = TamperAndVerify([](RawDb& raw) {
    raw.Put(raw.dates(), kOldEntry, raw.Get(raw.events(), RawDb::EventKey(kMid + 1)));
  });
  EXPECT_TRUE(v.ok) << v.reason;

  // A fault in the second half alone, then one in each.
  v = TamperAndVerify([](RawDb& raw) { Flip(raw, raw.events(), RawDb::EventKey(30000)); });
  EXPECT_EQ(v.first_bad_seq, 30000u) << v.reason;
  EXPECT_EQ(v.checked, 29999u);
  v = TamperAndVerify([](RawDb& raw) { Flip(raw, raw.events(), RawDb::EventKey(100)); });
  EXPECT_EQ(v.first_bad_seq, 100u) << v.reason;
  EXPECT_EQ(v.checked, 99u);
}

TEST_F(VerifyLongChainTest, ARewriteAtTheSplitBreaksTheLinkBetweenTheHalves) {
  VerifyResult v = TamperAndVerify([](RawDb& raw) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(raw.Get(raw.events(), RawDb::EventKey(kMid))));
    e.set_summary("history rewritten");
    e.set_hash(EventHash(e));
    raw.Put(raw.events(), RawDb::EventKey(kMid), CanonicalBytes(e));
  });
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, kMid + 1) << v.reason;
  EXPECT_EQ(v.checked, kMid);
  EXPECT_EQ(v.reason, "prev_hash does not match the hash of seq 20000");
  v = TamperAndVerify([](RawDb& raw) { raw.Delete(raw.events(), RawDb::EventKey(kMid + 1)); });
  EXPECT_EQ(v.first_bad_seq, kMid + 1) << v.reason;
  EXPECT_EQ(v.reason, "seq 20001 is missing (the next stored event is seq 20002)");
}

}  // namespace
}  // namespace demarche::ledger
