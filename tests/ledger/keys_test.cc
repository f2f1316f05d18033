#include "ledger/keys.h"

#include <random>

#include <gtest/gtest.h>

namespace demarche::ledger::keys {
namespace {

TEST(KeysTest, EventKeysRoundTripAndSortNumerically) {
  const EventKey a{1, 2, 255}, b{1, 2, 256}, c{1, 3, 1}, d{2, 0, 0};
  for (const auto& k : {a, b, c, d}) {
    const std::string enc = EncodeEventKey(k);
    EXPECT_EQ(enc.size(), 16u);
    EXPECT_EQ(DecodeEventKey(enc), k);
  }
  EXPECT_LT(EncodeEventKey(a), EncodeEventKey(b));  // 255 < 256 bytewise too
  EXPECT_LT(EncodeEventKey(b), EncodeEventKey(c));
  EXPECT_LT(EncodeEventKey(c), EncodeEventKey(d));
  EXPECT_LT(EncodeEventKey({1, 1, UINT64_MAX}), EncodeEventKey({1, 2, 0}));
}

TEST(KeysTest, DateKeysOrderBySortKeyThenSeq) {
  const DateKey a{1, 1, 20031200, 9}, b{1, 1, 20031201, 2}, c{1, 1, 20031201, 3};
  EXPECT_LT(EncodeDateKey(a), EncodeDateKey(b));
  EXPECT_LT(EncodeDateKey(b), EncodeDateKey(c));
  EXPECT_EQ(DecodeDateKey(EncodeDateKey(c)), c);
}

TEST(KeysTest, IdsBranchesScenariosSnapshotsAndHeadsRoundTrip) {
  auto id = DecodeIdKey(EncodeIdKey(7, 9, "kcna:2003-08-27"));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, (IdKey{7, 9, "kcna:2003-08-27"}));
  // 12 bytes as first written; 13 with the reference-target byte.
  const IdLocation legacy{42, 20030827, std::nullopt};
  EXPECT_EQ(EncodeIdLocation(legacy).size(), 12u);
  EXPECT_EQ(DecodeIdLocation(EncodeIdLocation(legacy)), legacy);
  const IdLocation with_target{42, 20030827, uint8_t{0x83}};
  EXPECT_EQ(EncodeIdLocation(with_target).size(), 13u);
  EXPECT_EQ(DecodeIdLocation(EncodeIdLocation(with_target)), with_target);
  EXPECT_FALSE(DecodeIdLocation(EncodeIdLocation(with_target) + "x"));
  EXPECT_EQ(DecodeScenarioRecordKey(ScenarioRecordKey(5)), 5u);
  EXPECT_EQ(DecodeBranchRecordKey(BranchRecordKey(5, 6)), (BranchIds{5, 6}));
  EXPECT_EQ(DecodeBranchHeadKey(BranchHeadKey(5, 6)), (BranchIds{5, 6}));
  // The tags differ: a head key is not a record key and vice versa.
  EXPECT_FALSE(DecodeBranchRecordKey(BranchHeadKey(5, 6)));
  EXPECT_FALSE(DecodeBranchHeadKey(BranchRecordKey(5, 6)));
  const Head h{12, std::string(kHashBytes, '\x7f')};
  EXPECT_EQ(DecodeHead(EncodeHead(h)), h);
  auto snap = DecodeSnapshotKey(SnapshotKey(1, 2, std::string("k\0ey", 4)));
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->user_key, std::string("k\0ey", 4));
  EXPECT_EQ(DecodeU32(EncodeU32(0xdeadbeef)), 0xdeadbeefu);
}

TEST(KeysTest, MalformedKeysAreRejectedNotCrashed) {
  EXPECT_FALSE(DecodeEventKey(""));
  EXPECT_FALSE(DecodeEventKey(std::string(15, 'x')));
  EXPECT_FALSE(DecodeEventKey(std::string(17, 'x')));
  EXPECT_FALSE(DecodeDateKey(std::string(19, 'x')));
  EXPECT_FALSE(DecodeIdKey(std::string(8, 'x')));  // an id is never empty
  EXPECT_FALSE(DecodeIdLocation("short"));
  EXPECT_FALSE(DecodeScenarioRecordKey("N1234"));
  EXPECT_FALSE(DecodeScenarioRecordKey("R12"));
  EXPECT_FALSE(DecodeBranchRecordKey("R1234567"));
  EXPECT_FALSE(DecodeHead(std::string(39, 'x')));
  EXPECT_FALSE(DecodeSnapshotKey("1234567"));
  EXPECT_FALSE(DecodeU32("12345"));
  // Random bytes of every length up to 48: decoders must not crash and, when
  // they accept, re-encoding gives the input back.
  std::mt19937 rng(7);
  for (int n = 0; n < 2000; ++n) {
    std::string s(rng() % 48, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    if (auto k = DecodeEventKey(s)) {
      EXPECT_EQ(EncodeEventKey(*k), s);
    }
    if (auto k = DecodeDateKey(s)) {
      EXPECT_EQ(EncodeDateKey(*k), s);
    }
    if (auto k = DecodeIdKey(s)) {
      EXPECT_EQ(EncodeIdKey(k->sid, k->bid, k->id), s);
    }
    if (auto k = DecodeHead(s)) {
      EXPECT_EQ(EncodeHead(*k), s);
    }
    if (auto k = DecodeBranchRecordKey(s)) {
      EXPECT_EQ(BranchRecordKey(k->sid, k->bid), s);
    }
    if (auto k = DecodeSnapshotKey(s)) {
      EXPECT_EQ(SnapshotKey(k->sid, k->bid, k->user_key), s);
    }
  }
}

TEST(KeysTest, PrefixSuccessorBoundsEveryKeyWithThePrefix) {
  EXPECT_EQ(PrefixSuccessor(std::string("\x00\x01", 2)), std::string("\x00\x02", 2));
  EXPECT_EQ(PrefixSuccessor(std::string("\x01\xff", 2)), std::string("\x02", 1));
  EXPECT_FALSE(PrefixSuccessor(std::string("\xff\xff", 2)));
  EXPECT_FALSE(PrefixSuccessor(""));
  const std::string prefix = BranchPrefix(3, 4);
  EXPECT_LT(SnapshotKey(3, 4, std::string(100, '\xff')), *PrefixSuccessor(prefix));
  EXPECT_GE(SnapshotKey(3, 5, ""), *PrefixSuccessor(prefix));
}

}  // namespace
}  // namespace demarche::ledger::keys
