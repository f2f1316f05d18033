#include "ledger/canonical.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

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

// PreparedContent encodes the client part first and the envelope after it:
// the bytes and the hash must be Seal's, which needs every client field
// numbered below every envelope field.
TEST(CanonicalTest, PreparedContentSealsAsSealDoes) {
  v1::Event full = ltest::Proposal("p");
  *full.mutable_occurred_end() = ltest::Date("2003-12-31");
  full.set_context(v1::CONTEXT_HYPOTHETICAL);
  full.mutable_move()->mutable_proposal()->mutable_terms(0)->set_quantity(2.5);
  full.set_summary("un résumé — 六者会谈");
  const google::protobuf::Reflection* reflection = full.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> client_fields;
  reflection->ListFields(full, &client_fields);
  ASSERT_GE(client_fields.size(), 9u);

  v1::Event envelope;
  envelope.set_scenario("s");
  envelope.set_branch("a-branch");
  envelope.set_seq(12345);
  envelope.mutable_recorded_at()->set_seconds(1700000000);
  envelope.mutable_recorded_at()->set_nanos(5);
  envelope.set_recorded_by("curator");
  envelope.set_prev_hash(std::string(32, '\7'));
  std::vector<const google::protobuf::FieldDescriptor*> envelope_fields;
  envelope.GetReflection()->ListFields(envelope, &envelope_fields);
  for (const auto* c : client_fields)
    for (const auto* e : envelope_fields) EXPECT_LT(c->number(), e->number()) << c->name();

  for (const v1::Event& content : {ltest::Statement("a"), ltest::Retraction("r", "a"), full}) {
    v1::Event expected = content;
    expected.MergeFrom(envelope);
    const std::string expected_bytes = Seal(&expected);

    PreparedContent prepared(content);
    EXPECT_EQ(prepared.bytes(), CanonicalBytes(content));
    v1::Event event = content;
    std::string bytes = "reused buffer";
    prepared.Seal(envelope, &event, &bytes);
    EXPECT_EQ(Hex(event.hash()), Hex(expected.hash())) << content.id();
    EXPECT_EQ(bytes, expected_bytes) << content.id();
    EXPECT_EQ(CanonicalBytes(event), bytes);
    EXPECT_EQ(EventHash(event), event.hash());

    // The hash state is spent: sealing again (another envelope) starts over.
    envelope.set_seq(envelope.seq() + 1);
    v1::Event again = content;
    prepared.Seal(envelope, &again, &bytes);
    EXPECT_EQ(again.seq(), envelope.seq());
    EXPECT_EQ(again.hash(), EventHash(again));
    EXPECT_EQ(bytes, CanonicalBytes(again));
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

// Every path of message fields down from Event, a type at most twice on one
// path (Move -> Correction -> Move), as the descriptors list them.
using Path = std::vector<const google::protobuf::FieldDescriptor*>;

void MessagePaths(const google::protobuf::Descriptor* d, Path* prefix, std::vector<Path>* out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const auto* type = f->message_type();
    if (std::count_if(prefix->begin(), prefix->end(),
                      [&](const auto* p) { return p->message_type() == type; }) >= 2)
      continue;
    prefix->push_back(f);
    out->push_back(*prefix);
    MessagePaths(type, prefix, out);
    prefix->pop_back();
  }
}

// The message at the end of `path` in `e`, created (or appended) on the way.
google::protobuf::Message* Materialize(v1::Event* e, const Path& path) {
  google::protobuf::Message* m = e;
  for (const auto* f : path) {
    const google::protobuf::Reflection* r = m->GetReflection();
    m = f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f);
  }
  return m;
}

TEST(CanonicalTest, ClientContentDropsUnknownFieldsAtEveryMessagePath) {
  std::vector<Path> paths;
  Path prefix;
  MessagePaths(v1::Event::descriptor(), &prefix, &paths);
  std::vector<std::string> names;
  for (const Path& path : paths) {
    std::string name = "event";
    for (const auto* f : path) name += "." + f->name();
    names.push_back(name);

    v1::Event plain = ltest::Statement("a");
    Materialize(&plain, path);
    v1::Event odd = ltest::Statement("a");
    google::protobuf::Message* leaf = Materialize(&odd, path);
    leaf->GetReflection()->MutableUnknownFields(leaf)->AddVarint(999, 1);
    ASSERT_NE(CanonicalBytes(odd), CanonicalBytes(plain)) << name;
    MakeClientContent(&plain);
    MakeClientContent(&odd);
    EXPECT_EQ(CanonicalBytes(odd), CanonicalBytes(plain)) << name;
  }
  // The walk reaches through the oneof, repeated fields and the correction.
  for (const char* deep : {"event.sources", "event.move.statement", "event.move.demand.offers",
                           "event.move.correction.move.agreement.terms"})
    EXPECT_NE(std::find(names.begin(), names.end(), deep), names.end()) << deep;
}

// A stored event parsed for a fold keeps exactly id .. move and seq, from
// canonical bytes (the fold fields first) and from bytes in another order.
TEST(CanonicalTest, ParseMoveFieldsKeepsWhatAFoldReads) {
  v1::Event e = ltest::Proposal("p", "2003-12-09");
  *e.mutable_occurred_end() = ltest::Date("2003-12-10");
  e.add_recipients("JPN");
  e.mutable_move()->set_weight(4.5);
  e.set_context(v1::CONTEXT_HISTORICAL);
  e.set_summary("a package deal");
  e.set_scenario("s");
  e.set_branch("main");
  e.set_seq(7);
  e.mutable_recorded_at()->set_seconds(1700000000);
  e.set_recorded_by("curator");
  e.set_prev_hash(ZeroHash());
  ASSERT_GT(e.sources_size(), 0);
  const std::string bytes = Seal(&e);

  v1::Event want;
  want.set_id(e.id());
  *want.mutable_occurred() = e.occurred();
  *want.mutable_occurred_end() = e.occurred_end();
  *want.mutable_actor() = e.actor();
  *want.mutable_recipients() = e.recipients();
  *want.mutable_move() = e.move();
  want.set_seq(7);

  v1::Event got;
  got.set_summary("left over from a previous event");
  ASSERT_TRUE(ParseMoveFields(bytes, &got));
  EXPECT_EQ(CanonicalBytes(got), CanonicalBytes(want)) << got.DebugString();

  // The summary and seq first, then the rest: a fold field after the run.
  v1::Event head;
  head.set_summary(e.summary());
  head.set_seq(e.seq());
  v1::Event tail = e;
  tail.clear_summary();
  tail.clear_seq();
  v1::Event other;
  ASSERT_TRUE(ParseMoveFields(CanonicalBytes(head) + CanonicalBytes(tail), &other));
  EXPECT_EQ(CanonicalBytes(other), CanonicalBytes(want)) << other.DebugString();

  EXPECT_FALSE(ParseMoveFields(bytes.substr(0, bytes.size() - 3), &got));
  EXPECT_FALSE(ParseMoveFields(std::string("\x0a\xff", 2), &got));
}

}  // namespace
}  // namespace demarche::ledger
