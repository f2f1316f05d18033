// Every event validation rule, through Append, with its exact message; and
// the valid counterpart of each move kind.
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include <rocksdb/write_batch.h>

#include "ledger/keys.h"
#include "ledger/store.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using ltest::Statement;

struct Case {
  const char* message;  // exact expected message
  std::function<void(v1::Event&)> mutate;
  const char* branch = "main";
};

// A statement turned into an aid pledge, and mutations that make an event
// refer to another: a response, an aid delivery, a superseding proposal.
v1::Event Pledge(const std::string& id) {
  v1::Event pledge = Statement(id);
  auto* a = pledge.mutable_move()->mutable_aid();
  a->set_action(v1::AID_ACTION_PLEDGE);
  a->set_commodity("heavy fuel oil");
  a->set_quantity(500000);
  a->set_unit("t");
  return pledge;
}
std::function<void(v1::Event&)> Respond(const char* target) {
  return [target](v1::Event& e) {
    e.mutable_move()->mutable_response()->set_target(target);
    e.mutable_move()->mutable_response()->set_kind(v1::RESPONSE_KIND_REJECT);
  };
}
std::function<void(v1::Event&)> Deliver(const char* pledge_id) {
  return [pledge_id](v1::Event& e) {
    auto* d = e.mutable_move()->mutable_aid();
    d->set_action(v1::AID_ACTION_DELIVERY);
    d->set_commodity("heavy fuel oil");
    d->set_pledge(pledge_id);
  };
}
std::function<void(v1::Event&)> Supersede(const char* old_id) {
  return [old_id](v1::Event& e) {
    auto* p = e.mutable_move()->mutable_proposal();
    p->set_issue("i");
    p->set_title("new deal");
    p->set_supersedes(old_id);
  };
}

class ValidateTest : public ltest::LedgerTest {
 protected:
  void SetUp() override {
    LedgerTest::SetUp();
    ASSERT_TRUE(ledger_->CreateBranch("s", "alt", "main", 0, std::nullopt, "a", "").ok());
  }
  // Appends one mutated valid statement; expects INVALID_ARGUMENT with `message`.
  void ExpectRejected(const Case& c) {
    v1::Event e = Statement("e1");
    c.mutate(e);
    auto r = ledger_->Append("s", c.branch, {e}, kAnyHead, "t");
    ASSERT_FALSE(r.ok()) << "accepted; wanted: " << c.message;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_EQ(r.status().message(), c.message);
  }
  void ExpectAccepted(const std::function<void(v1::Event&)>& mutate, const char* branch = "alt") {
    v1::Event e = Statement("ok" + std::to_string(++n_));
    mutate(e);
    auto r = ledger_->Append("s", branch, {e}, kAnyHead, "t");
    EXPECT_TRUE(r.ok()) << r.status();
  }
  // prop1 (a proposal), stmt1 (a statement), pledge1 (an aid pledge) on main.
  void AppendReferenceTargets() {
    ASSERT_TRUE(ledger_
                    ->Append("s", "main",
                             {ltest::Proposal("prop1"), Statement("stmt1"), Pledge("pledge1")},
                             kAnyHead, "t")
                    .ok());
  }
  int n_ = 0;
};

v1::Term* AddTerm(v1::Event& e) {
  auto* d = e.mutable_move()->mutable_demand();
  d->set_issue("i");
  d->set_text("t");
  auto* t = d->add_terms();
  t->set_giver("PRK");
  return t;
}

TEST_F(ValidateTest, IdsAndDates) {
  const Case cases[] = {
      {"events[0].id: required", [](v1::Event& e) { e.clear_id(); }},
      {"events[0].id: \"a b\" must be 1..128 characters of [A-Za-z0-9._:-]",
       [](v1::Event& e) { e.set_id("a b"); }},
      {"events[0].occurred: required", [](v1::Event& e) { e.clear_occurred(); }},
      {"events[0].occurred.month: must be 0 (unknown) or 1..12, got 13",
       [](v1::Event& e) { e.mutable_occurred()->set_month(13); }},
      {"events[0].occurred.day: 2003-02 has no day 29",
       [](v1::Event& e) {
         *e.mutable_occurred() = ltest::Date("2003-02-28");
         e.mutable_occurred()->set_day(29);
       }},
      {"events[0].occurred.year: must be 1..9999, got 0",
       [](v1::Event& e) { e.mutable_occurred()->set_year(0); }},
      {"events[0].occurred_end: 2003-07 is before occurred 2003-08-27",
       [](v1::Event& e) { *e.mutable_occurred_end() = ltest::Date("2003-07"); }},
      {"events[0].occurred_end.day: 2003-04 has no day 31",
       [](v1::Event& e) {
         *e.mutable_occurred_end() = ltest::Date("2003-04-30");
         e.mutable_occurred_end()->set_day(31);
       }},
  };
  for (const Case& c : cases) ExpectRejected(c);
  v1::Event e = Statement("x");
  e.set_id(std::string(129, 'a'));
  EXPECT_EQ(ledger_->Append("s", "main", {e}, kAnyHead, "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  ExpectAccepted([](v1::Event& e) { e.set_id(std::string(128, 'a')); });
  ExpectAccepted([](v1::Event& e) { e.set_id("kcna:2003-08-27_x.1"); });
  // An end in the same month as a day-precise start is not before it.
  ExpectAccepted([](v1::Event& e) { *e.mutable_occurred_end() = ltest::Date("2003-08"); });
  ExpectAccepted([](v1::Event& e) { *e.mutable_occurred() = ltest::Date("2003"); });
}

TEST_F(ValidateTest, Parties) {
  const Case cases[] = {
      {"events[0].actor: at least one party required", [](v1::Event& e) { e.clear_actor(); }},
      {"events[0].actor[1]: \"XYZ\" is not in the roster of scenario \"s\"",
       [](v1::Event& e) { e.add_actor("XYZ"); }},
      {"events[0].actor[1]: \"PRK\" repeats actor[0]", [](v1::Event& e) { e.add_actor("PRK"); }},
      {"events[0].recipients[1]: \"ZZZ\" is not in the roster of scenario \"s\"",
       [](v1::Event& e) { e.add_recipients("ZZZ"); }},
      {"events[0].recipients[1]: \"USA\" repeats recipients[0]",
       [](v1::Event& e) { e.add_recipients("USA"); }},
  };
  for (const Case& c : cases) ExpectRejected(c);
  ExpectAccepted([](v1::Event& e) { e.clear_recipients(); });
  ExpectAccepted([](v1::Event& e) { e.add_actor("CHN"); });
}

TEST_F(ValidateTest, MoveKindsAndTheirRequiredFields) {
  const Case cases[] = {
      {"events[0].move: exactly one move kind must be set, none is",
       [](v1::Event& e) { e.clear_move(); }},
      {"events[0].move.statement.issue: required",
       [](v1::Event& e) { e.mutable_move()->mutable_statement()->clear_issue(); }},
      {"events[0].move.statement.stance: required",
       [](v1::Event& e) { e.mutable_move()->mutable_statement()->clear_stance(); }},
      {"events[0].move.statement.stance: unknown value 99",
       [](v1::Event& e) {
         e.mutable_move()->mutable_statement()->set_stance(static_cast<v1::Stance>(99));
       }},
      {"events[0].move.demand.issue: required",
       [](v1::Event& e) { e.mutable_move()->mutable_demand()->set_text("t"); }},
      {"events[0].move.demand.text: required",
       [](v1::Event& e) { e.mutable_move()->mutable_demand()->set_issue("i"); }},
      {"events[0].move.demand.terms[0].giver: required",
       [](v1::Event& e) { AddTerm(e)->clear_giver(); }},
      {"events[0].move.demand.terms[0].giver: \"XYZ\" is not in the roster of scenario \"s\"",
       [](v1::Event& e) { AddTerm(e)->set_giver("XYZ"); }},
      {"events[0].move.demand.terms[0].receiver: \"XYZ\" is not in the roster of scenario \"s\"",
       [](v1::Event& e) { AddTerm(e)->set_receiver("XYZ"); }},
      {"events[0].move.demand.terms[0].unit: required when quantity > 0",
       [](v1::Event& e) { AddTerm(e)->set_quantity(500000); }},
      {"events[0].move.proposal.title: required",
       [](v1::Event& e) { e.mutable_move()->mutable_proposal()->set_issue("i"); }},
      {"events[0].move.proposal.issue: required",
       [](v1::Event& e) { e.mutable_move()->mutable_proposal()->set_title("t"); }},
      {"events[0].move.response.target: required",
       [](v1::Event& e) {
         e.mutable_move()->mutable_response()->set_kind(v1::RESPONSE_KIND_ACCEPT);
       }},
      {"events[0].move.response.kind: required",
       [](v1::Event& e) { e.mutable_move()->mutable_response()->set_target("p"); }},
      {"events[0].move.agreement.action: required",
       [](v1::Event& e) { e.mutable_move()->mutable_agreement()->set_agreement("af-1994"); }},
      {"events[0].move.agreement.agreement: required",
       [](v1::Event& e) {
         e.mutable_move()->mutable_agreement()->set_action(v1::AGREEMENT_ACTION_SIGN);
       }},
      {"events[0].move.consult.kind: required",
       [](v1::Event& e) { e.mutable_move()->mutable_consult()->set_place("Beijing"); }},
      {"events[0].move.aid.action: required",
       [](v1::Event& e) { e.mutable_move()->mutable_aid()->set_commodity("food"); }},
      {"events[0].move.aid.commodity: required",
       [](v1::Event& e) { e.mutable_move()->mutable_aid()->set_action(v1::AID_ACTION_PLEDGE); }},
      {"events[0].move.aid.unit: required when quantity > 0",
       [](v1::Event& e) {
         auto* a = e.mutable_move()->mutable_aid();
         a->set_action(v1::AID_ACTION_PLEDGE);
         a->set_commodity("heavy fuel oil");
         a->set_quantity(500000);
       }},
      {"events[0].move.aid.quantity: must be a finite number >= 0, got -1",
       [](v1::Event& e) {
         auto* a = e.mutable_move()->mutable_aid();
         a->set_action(v1::AID_ACTION_PLEDGE);
         a->set_commodity("food");
         a->set_quantity(-1);
       }},
      {"events[0].move.aid.pledge: only a delivery names the pledge it fulfils",
       [](v1::Event& e) {
         auto* a = e.mutable_move()->mutable_aid();
         a->set_action(v1::AID_ACTION_PLEDGE);
         a->set_commodity("food");
         a->set_pledge("x");
       }},
      {"events[0].move.concede.kind: required",
       [](v1::Event& e) { e.mutable_move()->mutable_concede()->set_what("release"); }},
      {"events[0].move.concede.what: required",
       [](v1::Event& e) {
         e.mutable_move()->mutable_concede()->set_kind(v1::CONCEDE_KIND_RELEASE);
       }},
      {"events[0].move.sanction.action: required",
       [](v1::Event& e) { e.mutable_move()->mutable_sanction()->set_measure("m"); }},
      {"events[0].move.sanction.measure: required",
       [](v1::Event& e) {
         e.mutable_move()->mutable_sanction()->set_action(v1::SANCTION_ACTION_IMPOSE);
       }},
      {"events[0].move.forum.action: required",
       [](v1::Event& e) { e.mutable_move()->mutable_forum()->set_forum("psi"); }},
      {"events[0].move.forum.forum: required",
       [](v1::Event& e) { e.mutable_move()->mutable_forum()->set_action(v1::FORUM_ACTION_JOIN); }},
      {"events[0].move.conflict.kind: required",
       [](v1::Event& e) { e.mutable_move()->mutable_conflict()->set_mode("blockade"); }},
      {"events[0].move.conflict.kind: unknown value 42",
       [](v1::Event& e) {
         e.mutable_move()->mutable_conflict()->set_kind(static_cast<v1::ConflictKind>(42));
       }},
  };
  for (const Case& c : cases) ExpectRejected(c);
}

TEST_F(ValidateTest, CameoCodesAndWeights) {
  const Case cases[] = {
      {"events[0].move.cameo_code: \"1a\" must be 2 to 4 digits",
       [](v1::Event& e) { e.mutable_move()->set_cameo_code("1a"); }},
      {"events[0].move.cameo_code: \"1\" must be 2 to 4 digits",
       [](v1::Event& e) { e.mutable_move()->set_cameo_code("1"); }},
      {"events[0].move.cameo_code: \"12345\" must be 2 to 4 digits",
       [](v1::Event& e) { e.mutable_move()->set_cameo_code("12345"); }},
      {"events[0].move.weight: must be within [-10, 10], got 10.5",
       [](v1::Event& e) { e.mutable_move()->set_weight(10.5); }},
      {"events[0].move.weight: must be within [-10, 10], got -11",
       [](v1::Event& e) { e.mutable_move()->set_weight(-11); }},
      {"events[0].move.weight: must be within [-10, 10], got nan",
       [](v1::Event& e) { e.mutable_move()->set_weight(std::nan("")); }},
  };
  for (const Case& c : cases) ExpectRejected(c);
  ExpectAccepted([](v1::Event& e) { e.mutable_move()->set_cameo_code("036"); });
  ExpectAccepted([](v1::Event& e) { e.mutable_move()->set_cameo_code("0874"); });
  ExpectAccepted([](v1::Event& e) { e.mutable_move()->set_weight(-10); });
  ExpectAccepted([](v1::Event& e) { e.mutable_move()->set_weight(10); });
}

TEST_F(ValidateTest, SourcesAndContext) {
  const Case cases[] = {
      {"events[0].sources[0].document: required",
       [](v1::Event& e) { e.mutable_sources(0)->clear_document(); }},
      {"events[0].sources[1].quote: required",
       [](v1::Event& e) { e.add_sources()->set_document("d"); }},
      {"events[0].sources: at least one source required on branch \"main\"",
       [](v1::Event& e) { e.clear_sources(); }},
      {"events[0].context: HYPOTHETICAL is not allowed on branch \"main\"",
       [](v1::Event& e) { e.set_context(v1::CONTEXT_HYPOTHETICAL); }},
      {"events[0].context: unknown value 7",
       [](v1::Event& e) { e.set_context(static_cast<v1::Context>(7)); }},
      {"events[0].sources[0].quote: required",
       [](v1::Event& e) { e.mutable_sources(0)->clear_quote(); }, "alt"},
  };
  for (const Case& c : cases) ExpectRejected(c);
  // Off main, sources are optional and hypotheticals are the point.
  ExpectAccepted([](v1::Event& e) {
    e.clear_sources();
    e.set_context(v1::CONTEXT_HYPOTHETICAL);
  });
  ExpectAccepted([](v1::Event& e) { e.set_context(v1::CONTEXT_HISTORICAL); }, "main");
}

TEST_F(ValidateTest, Corrections) {
  ASSERT_TRUE(ledger_->Append("s", "main", {Statement("orig")}, kAnyHead, "t").ok());
  auto correction = [](v1::Event& e) {
    auto* c = e.mutable_move()->mutable_correction();
    c->set_target("orig");
    c->set_reason("wrong date");
    return c;
  };
  const Case cases[] = {
      {"events[0].move.correction.target: required",
       [&](v1::Event& e) { correction(e)->clear_target(); }},
      {"events[0].move.correction.reason: required",
       [&](v1::Event& e) { correction(e)->clear_reason(); }},
      {"events[0].move.correction: set retract or at least one replacement field",
       [&](v1::Event& e) { correction(e); }},
      {"events[0].move.correction.occurred: must be empty when retract is true",
       [&](v1::Event& e) {
         auto* c = correction(e);
         c->set_retract(true);
         *c->mutable_occurred() = ltest::Date("2003-08");
       }},
      {"events[0].move.correction.move: must be empty when retract is true",
       [&](v1::Event& e) {
         auto* c = correction(e);
         c->set_retract(true);
         c->mutable_move()->mutable_consult()->set_kind(v1::CONSULT_KIND_SUMMIT);
       }},
      {"events[0].move.correction.occurred.day: 2003-02 has no day 30",
       [&](v1::Event& e) {
         auto* c = correction(e);
         *c->mutable_occurred() = ltest::Date("2003-02-01");
         c->mutable_occurred()->set_day(30);
       }},
      {"events[0].move.correction.actor[0]: \"XYZ\" is not in the roster of scenario \"s\"",
       [&](v1::Event& e) { correction(e)->add_actor("XYZ"); }},
      {"events[0].move.correction.move: a correction cannot replace a move with another correction",
       [&](v1::Event& e) {
         correction(e)->mutable_move()->mutable_correction()->set_target("orig");
       }},
      {"events[0].move.correction.move.statement.stance: required",
       [&](v1::Event& e) { correction(e)->mutable_move()->mutable_statement()->set_issue("i"); }},
      {"events[0].move.correction.target: an event cannot correct itself",
       [&](v1::Event& e) {
         correction(e)->set_retract(true);
         e.mutable_move()->mutable_correction()->set_target("e1");
       }},
      {"events[0].move.correction.target: \"ghost\" does not resolve to an event in the lineage "
       "of branch \"main\"",
       [&](v1::Event& e) {
         correction(e)->set_retract(true);
         e.mutable_move()->mutable_correction()->set_target("ghost");
       }},
  };
  for (const Case& c : cases) ExpectRejected(c);
  ExpectAccepted([&](v1::Event& e) { correction(e)->set_retract(true); }, "main");
  ExpectAccepted([&](v1::Event& e) { *correction(e)->mutable_occurred() = ltest::Date("2003-08"); },
                 "main");
}

TEST_F(ValidateTest, ReferencesResolveWithinTheLineageAndHaveTheRightKind) {
  AppendReferenceTargets();
  if (HasFatalFailure()) return;
  const Case cases[] = {
      {"events[0].move.response.target: \"nope\" does not resolve to an event in the lineage of "
       "branch \"main\"",
       Respond("nope")},
      {"events[0].move.response.target: \"stmt1\" is a statement, not a proposal or demand",
       Respond("stmt1")},
      {"events[0].move.aid.pledge: \"nope\" does not resolve to an event in the lineage of branch "
       "\"main\"",
       Deliver("nope")},
      {"events[0].move.aid.pledge: \"prop1\" is not an aid pledge", Deliver("prop1")},
      {"events[0].move.proposal.supersedes: \"stmt1\" is a statement, not a proposal",
       Supersede("stmt1")},
      {"events[0].move.proposal.supersedes: \"e1\" is this event itself", Supersede("e1")},
  };
  for (const Case& c : cases) ExpectRejected(c);
  ExpectAccepted(Respond("prop1"), "main");
  ExpectAccepted(Deliver("pledge1"), "main");
  ExpectAccepted(Supersede("prop1"), "main");

  // Earlier in the same batch resolves; later does not.
  v1::Event p = ltest::Proposal("prop2");
  v1::Event r = Statement("resp2");
  Respond("prop2")(r);
  EXPECT_TRUE(ledger_->Append("s", "main", {p, r}, kAnyHead, "t").ok());
  v1::Event p3 = ltest::Proposal("prop3");
  v1::Event r3 = Statement("resp3");
  Respond("prop3")(r3);
  auto bad = ledger_->Append("s", "main", {r3, p3}, kAnyHead, "t");
  EXPECT_EQ(bad.status().message(),
            "events[0].move.response.target: \"prop3\" does not resolve to an event in the "
            "lineage of branch \"main\"");
  // A batch names the failing event by its index.
  auto bad2 = ledger_->Append("s", "main", {Statement("x1"), Statement("x2"), r3}, kAnyHead, "t");
  EXPECT_EQ(bad2.status().message(),
            "events[2].move.response.target: \"prop3\" does not resolve to an event in the "
            "lineage of branch \"main\"");
}

// Ids entries written before they kept the target's kind (12-byte values)
// still resolve references: the ledger then reads the target event.
TEST_F(ValidateTest, ReferencesResolveThroughIdsEntriesWrittenWithoutTheTargetKind) {
  AppendReferenceTargets();
  if (HasFatalFailure()) return;
  ledger_.reset();
  {
    auto store = Store::Open(dir_.path(), ltest::FastOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    std::unique_ptr<rocksdb::Iterator> it(
        (*store)->db->NewIterator(rocksdb::ReadOptions(), (*store)->ids));
    rocksdb::WriteBatch legacy;
    int entries = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++entries) {
      auto loc = keys::DecodeIdLocation(it->value().ToStringView());
      ASSERT_TRUE(loc && loc->target) << "new entries keep the target's kind";
      loc->target.reset();
      legacy.Put((*store)->ids, it->key(), keys::EncodeIdLocation(*loc));
    }
    ASSERT_EQ(entries, 3);
    ASSERT_TRUE((*store)->db->Write(rocksdb::WriteOptions(), &legacy).ok());
  }
  Reopen();
  ExpectRejected(
      {"events[0].move.response.target: \"stmt1\" is a statement, not a proposal or "
       "demand",
       Respond("stmt1")});
  ExpectRejected({"events[0].move.aid.pledge: \"prop1\" is not an aid pledge", Deliver("prop1")});
  ExpectAccepted(Respond("prop1"), "main");
  ExpectAccepted(Deliver("pledge1"), "main");
  ExpectAccepted(Supersede("prop1"), "main");
}

TEST_F(ValidateTest, EveryMoveKindHasAValidForm) {
  std::vector<std::function<void(v1::Move&)>> kinds = {
      [](v1::Move& m) {
        m.mutable_demand()->set_issue("i");
        m.mutable_demand()->set_text("t");
      },
      [](v1::Move& m) {
        m.mutable_agreement()->set_action(v1::AGREEMENT_ACTION_SIGN);
        m.mutable_agreement()->set_agreement("agreed-framework-1994");
      },
      [](v1::Move& m) { m.mutable_consult()->set_kind(v1::CONSULT_KIND_MULTILATERAL); },
      [](v1::Move& m) {
        m.mutable_concede()->set_kind(v1::CONCEDE_KIND_FREEZE);
        m.mutable_concede()->set_what("freeze");
      },
      [](v1::Move& m) {
        m.mutable_sanction()->set_action(v1::SANCTION_ACTION_LIFT);
        m.mutable_sanction()->set_measure("us-economic-sanctions");
      },
      [](v1::Move& m) {
        m.mutable_forum()->set_action(v1::FORUM_ACTION_LEAVE);
        m.mutable_forum()->set_forum("psi");
      },
      [](v1::Move& m) { m.mutable_conflict()->set_kind(v1::CONFLICT_KIND_THREATEN); },
  };
  for (auto& kind : kinds) ExpectAccepted([&](v1::Event& e) { kind(*e.mutable_move()); }, "main");
}

}  // namespace
}  // namespace demarche::ledger
