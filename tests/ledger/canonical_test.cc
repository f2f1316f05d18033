#include "ledger/canonical.h"

#include <gtest/gtest.h>

#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

TEST(CanonicalTest, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ZeroHash(), std::string(32, '\0'));
}

TEST(CanonicalTest, HashCoversEveryFieldButItself) {
  v1::Event e = ltest::Statement("a");
  e.set_scenario("s");
  e.set_branch("main");
  e.set_seq(1);
  e.set_prev_hash(ZeroHash());
  const std::string h = EventHash(e);
  EXPECT_EQ(h.size(), kHashSize);
  EXPECT_EQ(EventHash(e), h) << "deterministic";

  v1::Event with_hash = e;
  with_hash.set_hash(h);
  EXPECT_EQ(EventHash(with_hash), h) << "the hash field is excluded";

  auto changed = [&](auto mutate) {
    v1::Event c = e;
    mutate(c);
    return EventHash(c) != h;
  };
  EXPECT_TRUE(changed([](v1::Event& c) { c.set_seq(2); }));
  EXPECT_TRUE(changed([](v1::Event& c) { c.set_branch("b"); }));
  EXPECT_TRUE(changed([](v1::Event& c) { c.set_recorded_by("x"); }));
  EXPECT_TRUE(changed([](v1::Event& c) { c.mutable_recorded_at()->set_nanos(1); }));
  EXPECT_TRUE(changed([](v1::Event& c) { c.set_prev_hash(std::string(32, '\1')); }));
  EXPECT_TRUE(changed([](v1::Event& c) { c.mutable_occurred()->set_day(28); }));
  EXPECT_TRUE(changed([](v1::Event& c) { c.mutable_sources(0)->set_quote("other"); }));
  EXPECT_TRUE(changed([](v1::Event& c) { c.mutable_move()->set_weight(1); }));
}

// Seal serializes once and appends the hash field: that is only the
// canonical encoding while `hash` has the highest field number.
TEST(CanonicalTest, HashIsTheLastFieldSoSealSerializesOnce) {
  const google::protobuf::Descriptor* d = v1::Event::descriptor();
  for (int i = 0; i < d->field_count(); ++i)
    EXPECT_LE(d->field(i)->number(), v1::Event::kHashFieldNumber) << d->field(i)->name();

  for (const char* id : {"a", "b-longer-id"}) {
    v1::Event e = ltest::Statement(id);
    e.set_scenario("s");
    e.set_branch("main");
    e.set_seq(7);
    e.set_prev_hash(std::string(32, '\3'));
    e.set_hash("stale");  // Seal replaces it
    v1::Event sealed = e;
    const std::string bytes = Seal(&sealed);
    EXPECT_EQ(sealed.hash(), EventHash(e));
    EXPECT_EQ(bytes, CanonicalBytes(sealed));
    e.clear_hash();
    EXPECT_EQ(HashedBytes(sealed, bytes), CanonicalBytes(e));
    EXPECT_EQ(HashedBytes(e, CanonicalBytes(e)), CanonicalBytes(e)) << "no hash field";
    // Unknown fields come after every known one: the prefix rule no longer
    // holds and HashedBytes re-serializes.
    v1::Event odd = sealed;
    odd.GetReflection()->MutableUnknownFields(&odd)->AddVarint(999, 1);
    v1::Event odd_unhashed = odd;
    odd_unhashed.clear_hash();
    EXPECT_EQ(HashedBytes(odd, CanonicalBytes(odd)), CanonicalBytes(odd_unhashed));
  }
}

TEST(CanonicalTest, ClientContentDropsTheEnvelopeAndUnknownFields) {
  v1::Event e = ltest::Statement("a");
  v1::Event enveloped = e;
  enveloped.set_seq(5);
  enveloped.set_hash("x");
  enveloped.set_recorded_by("someone");
  enveloped.GetReflection()->MutableUnknownFields(&enveloped)->AddVarint(999, 1);
  EXPECT_EQ(CanonicalBytes(ClientContent(enveloped)), CanonicalBytes(e));
  MakeClientContent(&enveloped);
  EXPECT_EQ(CanonicalBytes(enveloped), CanonicalBytes(e)) << "in place";
}

TEST(CanonicalTest, ClientContentDropsUnknownFieldsOfNestedMessages) {
  v1::Event e = ltest::Statement("a");
  e.add_sources()->set_quote("q");
  const v1::Event plain = e;
  auto add_unknown = [](google::protobuf::Message* m) {
    m->GetReflection()->MutableUnknownFields(m)->AddVarint(999, 1);
  };
  // One nested level at a time: a repeated message, the oneof'd move, its
  // statement.
  for (int where = 0; where < 3; ++where) {
    v1::Event odd = plain;
    if (where == 0) add_unknown(odd.mutable_sources(0));
    if (where == 1) add_unknown(odd.mutable_move());
    if (where == 2) add_unknown(odd.mutable_move()->mutable_statement());
    ASSERT_NE(CanonicalBytes(odd), CanonicalBytes(plain)) << where;
    MakeClientContent(&odd);
    EXPECT_EQ(CanonicalBytes(odd), CanonicalBytes(plain)) << where;
  }
}

}  // namespace
}  // namespace demarche::ledger
