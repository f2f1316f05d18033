// The pure fold on plain vectors: each move type, each PartyState field,
// corrections, precision, snapshots round trips, determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "replay/corrections.h"
#include "replay/dates.h"
#include "replay/fold.h"
#include "replay/in_memory.h"
#include "replay/items.h"
#include "replay/snapshot.h"
#include "replay/weights.h"
#include "tests/replay/builders.h"
#include "tests/replay/generator.h"

namespace demarche::replay {
namespace {

using testing::D;
using testing::E;
using testing::T;

const std::vector<std::string> kRoster = {"CHN", "JPN", "KOR", "PRK", "RUS", "USA"};

v1::ScenarioState Fold(const std::vector<v1::Event>& events, uint32_t as_of = kMaxKey,
                       uint64_t known_at = 0) {
  return ReplayInMemory(events, kRoster, as_of, known_at);
}

const v1::PartyState& Party(const v1::ScenarioState& s, const std::string& code) {
  for (const auto& p : s.parties())
    if (p.party() == code) return p;
  ADD_FAILURE() << "no party " << code;
  return v1::PartyState::default_instance();
}

template <typename List, typename Pred>
const typename List::value_type* Find(const List& list, Pred pred) {
  auto it = std::find_if(list.begin(), list.end(), pred);
  return it == list.end() ? nullptr : &*it;
}

const v1::Relation* Rel(const v1::ScenarioState& s, const std::string& a, const std::string& b) {
  return Find(Party(s, a).relations(), [&](const v1::Relation& r) { return r.counterpart() == b; });
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return {f.begin(), f.end()};
}

std::string Bytes(const v1::ScenarioState& s) { return ItemBytes(s); }

// ---- dates and weights ---------------------------------------------------------

TEST(Dates, KeysAndPrecision) {
  EXPECT_EQ(StartKey(D("2003")), 20030000u);
  EXPECT_EQ(StartKey(D("2003-12")), 20031200u);
  EXPECT_EQ(StartKey(D("2003-12-09")), 20031209u);
  EXPECT_EQ(EndKey(D("2003")), 20031231u);
  EXPECT_EQ(EndKey(D("2004-02")), 20040229u);
  EXPECT_EQ(EndKey(D("2003-02")), 20030228u);
  EXPECT_EQ(EndKey(D("2003-12-09")), 20031209u);
  EXPECT_EQ(PrecisionOfDate(D("2003")), Precision::kYear);
  EXPECT_EQ(PrecisionOfDate(D("2003-12")), Precision::kMonth);
  EXPECT_EQ(PrecisionOfDate(D("2003-12-09")), Precision::kDay);
}

TEST(Weights, DefaultsPerMoveType) {
  auto w = [](const v1::Event& e) { return EffectiveWeight(e.move()); };
  EXPECT_EQ(w(E("a", 1, "2003").Statement("x", v1::STANCE_SUPPORT)).cameo, "01");
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Demand("x", "y")).weight, -5.0);
  EXPECT_EQ(w(E("a", 1, "2003").Demand("x", "y")).quad, 3);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Proposal("x", "y")).weight, 4.0);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Response("p", v1::RESPONSE_KIND_REJECT)).weight, -4.0);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Response("p", v1::RESPONSE_KIND_ACCEPT)).weight, 3.5);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Agreement(v1::AGREEMENT_ACTION_SIGN, "k")).weight, 8.0);
  EXPECT_EQ(w(E("a", 1, "2003").Agreement(v1::AGREEMENT_ACTION_SIGN, "k")).quad, 1);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Consult(v1::CONSULT_KIND_SUMMIT)).weight, 1.0);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Aid(v1::AID_ACTION_DELIVERY, "f", 1, "t")).weight, 7.0);
  EXPECT_EQ(w(E("a", 1, "2003").Aid(v1::AID_ACTION_DELIVERY, "f", 1, "t")).quad, 2);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Concede(v1::CONCEDE_KIND_RELEASE, "x")).weight, 5.0);
  EXPECT_EQ(w(E("a", 1, "2003").Sanction(v1::SANCTION_ACTION_IMPOSE, "m")).quad, 4);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Conflict(v1::CONFLICT_KIND_MOBILIZE)).weight, -7.2);
  EXPECT_DOUBLE_EQ(w(E("a", 1, "2003").Conflict(v1::CONFLICT_KIND_ASSAULT)).weight, -9.0);
  EXPECT_EQ(w(E("a", 1, "2003").Conflict(v1::CONFLICT_KIND_ACCUSE)).quad, 3);
}

TEST(Weights, CameoAndWeightOverride) {
  EXPECT_DOUBLE_EQ(*GoldsteinOf("046"), 7.0);
  EXPECT_DOUBLE_EQ(*GoldsteinOf("190"), -10.0);  // by root
  EXPECT_FALSE(GoldsteinOf("99").has_value());
  EXPECT_EQ(QuadOf("190"), 4);
  EXPECT_EQ(QuadOf("057"), 1);
  v1::Event e = E("a", 1, "2003").Consult(v1::CONSULT_KIND_BILATERAL).Cameo("046");
  EXPECT_DOUBLE_EQ(EffectiveWeight(e.move()).weight, 7.0);
  e = E("a", 1, "2003").Consult(v1::CONSULT_KIND_BILATERAL).Cameo("181");
  EXPECT_DOUBLE_EQ(EffectiveWeight(e.move()).weight, -9.0);
  EXPECT_EQ(EffectiveWeight(e.move()).quad, 4);
  e = E("a", 1, "2003").Consult(v1::CONSULT_KIND_BILATERAL).Cameo("99");  // unknown root
  EXPECT_DOUBLE_EQ(EffectiveWeight(e.move()).weight, 1.0);
  EXPECT_EQ(EffectiveWeight(e.move()).quad, 1);
  e = E("a", 1, "2003").Consult(v1::CONSULT_KIND_BILATERAL).Cameo("046").Weight(-1.5);
  EXPECT_DOUBLE_EQ(EffectiveWeight(e.move()).weight, -1.5);
  EXPECT_EQ(EffectiveWeight(e.move()).cameo, "046");
}

// ---- move types ------------------------------------------------------------------

TEST(Fold, RosterPartiesAlwaysPresentAndSorted) {
  auto s = Fold({});
  ASSERT_EQ(s.parties_size(), 6);
  EXPECT_EQ(s.parties(0).party(), "CHN");
  EXPECT_EQ(s.parties(5).party(), "USA");
  EXPECT_EQ(s.events_applied(), 0u);
  EXPECT_EQ(s.precision(), "day");
}

TEST(Fold, StatementSetsLatestPositionPerIssue) {
  auto s = Fold({
      E("s1", 1, "2003-01-10").By({"PRK"}).Statement("heu", v1::STANCE_AFFIRM, "has it"),
      E("s2", 2, "2003-05-01").By({"PRK", "CHN"}).Statement("heu", v1::STANCE_DENY, "has none"),
      E("s3", 3, "2003-02").By({"PRK"}).Statement("nuclear", v1::STANCE_CONDITIONAL),
  });
  const auto& prk = Party(s, "PRK");
  ASSERT_EQ(prk.positions_size(), 2);
  EXPECT_EQ(prk.positions(0).issue(), "heu");  // sorted by issue
  EXPECT_EQ(prk.positions(0).stance(), v1::STANCE_DENY);
  EXPECT_EQ(prk.positions(0).position(), "has none");
  EXPECT_EQ(prk.positions(0).event_id(), "s2");
  EXPECT_EQ(prk.positions(0).since().month(), 5);
  EXPECT_EQ(prk.positions(1).issue(), "nuclear");
  EXPECT_EQ(Party(s, "CHN").positions(0).event_id(), "s2");
  EXPECT_EQ(Party(s, "USA").positions_size(), 0);
}

TEST(Fold, StatementOrderIsByOccurredNotSeq) {
  // Recorded later but happened earlier: the earlier stance is overtaken.
  auto s = Fold({
      E("late", 1, "2003-06-01").By({"PRK"}).Statement("heu", v1::STANCE_DENY),
      E("early", 2, "2003-01-01").By({"PRK"}).Statement("heu", v1::STANCE_AFFIRM),
  });
  EXPECT_EQ(Party(s, "PRK").positions(0).event_id(), "late");
}

TEST(Fold, DemandMadeAndFacedOpen) {
  auto s = Fold({E("d1", 1, "2003-08")
                     .By({"USA", "JPN"})
                     .To({"PRK"})
                     .Demand("nuclear", "CVID", {T("PRK", "", "dismantle")},
                             {T("USA", "PRK", "assurances")})});
  for (const char* maker : {"JPN", "USA"}) {
    const auto& p = Party(s, maker);
    ASSERT_EQ(p.demands_made_size(), 1) << maker;
    EXPECT_EQ(p.demands_made(0).event_id(), "d1");
  }
  const auto& prk = Party(s, "PRK");
  ASSERT_EQ(prk.demands_faced_size(), 1);
  const v1::Offer& o = prk.demands_faced(0);
  EXPECT_EQ(o.kind(), "demand");
  EXPECT_EQ(o.status(), v1::ITEM_STATUS_OPEN);
  EXPECT_EQ(Strings(o.makers()), (std::vector<std::string>{"JPN", "USA"}));
  EXPECT_EQ(Strings(o.addressees()), (std::vector<std::string>{"PRK"}));
  EXPECT_EQ(o.title(), "CVID");
  EXPECT_EQ(o.issue(), "nuclear");
  ASSERT_EQ(o.terms_size(), 1);
  EXPECT_EQ(o.terms(0).what(), "dismantle");
  ASSERT_EQ(o.in_return_size(), 1);
  EXPECT_EQ(o.in_return(0).what(), "assurances");
  EXPECT_EQ(o.made().month(), 8);
}

TEST(Fold, RejectedDemandStaysOpenAcceptedDemandIsMet) {
  std::vector<v1::Event> ev = {
      E("d1", 1, "2003-08-01").By({"USA"}).To({"PRK", "CHN"}).Demand("nuclear", "CVID"),
      E("r1", 2, "2003-08-02").By({"PRK"}).To({"USA"}).Response("d1", v1::RESPONSE_KIND_REJECT),
  };
  auto s = Fold(ev);
  const v1::Offer& o = Party(s, "PRK").demands_faced(0);
  EXPECT_EQ(o.status(), v1::ITEM_STATUS_OPEN);
  EXPECT_EQ(Strings(o.rejected_by()), (std::vector<std::string>{"PRK"}));
  EXPECT_EQ(o.status_event_id(), "r1");
  // The maker's copy says the same.
  EXPECT_EQ(ItemBytes(Party(s, "USA").demands_made(0)), ItemBytes(o));

  ev.push_back(
      E("a1", 3, "2003-08-03").By({"CHN"}).To({"USA"}).Response("d1", v1::RESPONSE_KIND_ACCEPT));
  s = Fold(ev);
  const v1::Offer& o2 = Party(s, "PRK").demands_faced(0);
  EXPECT_EQ(o2.status(), v1::ITEM_STATUS_ACCEPTED);
  EXPECT_EQ(Strings(o2.accepted_by()), (std::vector<std::string>{"CHN"}));

  // CHN changes its mind: no one accepts any more -> open again.
  ev.push_back(
      E("r2", 4, "2003-08-04").By({"CHN"}).To({"USA"}).Response("d1", v1::RESPONSE_KIND_REJECT));
  s = Fold(ev);
  const v1::Offer& o3 = Party(s, "PRK").demands_faced(0);
  EXPECT_EQ(o3.status(), v1::ITEM_STATUS_OPEN);
  EXPECT_EQ(o3.accepted_by_size(), 0);
  EXPECT_EQ(Strings(o3.rejected_by()), (std::vector<std::string>{"CHN", "PRK"}));
}

TEST(Fold, WithdrawOnlyByMaker) {
  std::vector<v1::Event> ev = {
      E("d1", 1, "2003-08-01").By({"USA"}).To({"PRK"}).Demand("nuclear", "CVID"),
      E("w0", 2, "2003-08-02").By({"PRK"}).Response("d1", v1::RESPONSE_KIND_WITHDRAW),
  };
  EXPECT_EQ(Party(Fold(ev), "PRK").demands_faced(0).status(), v1::ITEM_STATUS_OPEN);
  ev.push_back(E("w1", 3, "2003-08-03").By({"USA"}).Response("d1", v1::RESPONSE_KIND_WITHDRAW));
  auto s = Fold(ev);
  EXPECT_EQ(Party(s, "PRK").demands_faced(0).status(), v1::ITEM_STATUS_WITHDRAWN);
  EXPECT_EQ(Party(s, "PRK").demands_faced(0).status_event_id(), "w1");
  // Final: a later acceptance does not revive it.
  ev.push_back(E("a1", 4, "2003-08-04").By({"PRK"}).Response("d1", v1::RESPONSE_KIND_ACCEPT));
  EXPECT_EQ(Party(Fold(ev), "PRK").demands_faced(0).status(), v1::ITEM_STATUS_WITHDRAWN);
}

TEST(Fold, ProposalStatusFollowsResponses) {
  std::vector<v1::Event> ev = {
      E("p1", 1, "2003-12")
          .By({"PRK"})
          .To({"USA", "CHN"})
          .Proposal("nuclear", "package deal", {T("PRK", "", "freeze")}, {"aid first"}),
  };
  auto s = Fold(ev);
  const v1::Offer& made = Party(s, "PRK").proposals_made(0);
  EXPECT_EQ(made.kind(), "proposal");
  EXPECT_EQ(made.status(), v1::ITEM_STATUS_OPEN);
  EXPECT_EQ(made.title(), "package deal");
  EXPECT_EQ(Strings(made.conditions()), (std::vector<std::string>{"aid first"}));
  EXPECT_EQ(Party(s, "USA").proposals_received(0).event_id(), "p1");

  ev.push_back(
      E("r1", 2, "2003-12-20").By({"USA"}).To({"PRK"}).Response("p1", v1::RESPONSE_KIND_REJECT));
  s = Fold(ev);
  EXPECT_EQ(Party(s, "USA").proposals_received(0).status(), v1::ITEM_STATUS_REJECTED);
  EXPECT_EQ(Party(s, "PRK").proposals_made(0).status_event_id(), "r1");

  ev.push_back(
      E("a1", 3, "2003-12-21").By({"CHN"}).To({"PRK"}).Response("p1", v1::RESPONSE_KIND_ACCEPT));
  s = Fold(ev);
  const v1::Offer& o = Party(s, "CHN").proposals_received(0);
  EXPECT_EQ(o.status(), v1::ITEM_STATUS_ACCEPTED);
  EXPECT_EQ(Strings(o.accepted_by()), (std::vector<std::string>{"CHN"}));
  EXPECT_EQ(Strings(o.rejected_by()), (std::vector<std::string>{"USA"}));

  // A maker's own "acceptance" is not a response to it.
  ev.push_back(E("x", 4, "2003-12-22").By({"PRK"}).Response("p1", v1::RESPONSE_KIND_REJECT));
  EXPECT_EQ(Party(Fold(ev), "CHN").proposals_received(0).status(), v1::ITEM_STATUS_ACCEPTED);
}

TEST(Fold, ResponseBeforeItsTargetHasNoEffectOnOffers) {
  auto s = Fold({
      E("r1", 2, "2003-01-01").By({"USA"}).To({"PRK"}).Response("p1", v1::RESPONSE_KIND_REJECT),
      E("p1", 1, "2003-12").By({"PRK"}).To({"USA"}).Proposal("nuclear", "deal"),
  });
  EXPECT_EQ(Party(s, "PRK").proposals_made(0).status(), v1::ITEM_STATUS_OPEN);
  EXPECT_EQ(Rel(s, "USA", "PRK")->events(), 2u);  // still a contact
}

TEST(Fold, SupersedesMarksEarlierProposalOfSameMaker) {
  std::vector<v1::Event> ev = {
      E("p1", 1, "1993").By({"PRK"}).To({"USA"}).Proposal("peace", "bilateral talks"),
      E("p2", 2, "2004-05-12").By({"PRK"}).To({"USA"}).Proposal("peace", "mechanism", {}, {}, "p1"),
  };
  auto s = Fold(ev);
  const auto& prk = Party(s, "PRK");
  ASSERT_EQ(prk.proposals_made_size(), 2);
  EXPECT_EQ(prk.proposals_made(0).status(), v1::ITEM_STATUS_SUPERSEDED);
  EXPECT_EQ(prk.proposals_made(0).status_event_id(), "p2");
  EXPECT_EQ(prk.proposals_made(1).status(), v1::ITEM_STATUS_OPEN);
  // As of before p2, p1 is open.
  EXPECT_EQ(Party(Fold(ev, 20040511), "PRK").proposals_made(0).status(), v1::ITEM_STATUS_OPEN);
  // Superseded is final.
  ev.push_back(E("a", 3, "2004-06").By({"USA"}).Response("p1", v1::RESPONSE_KIND_ACCEPT));
  EXPECT_EQ(Party(Fold(ev), "PRK").proposals_made(0).status(), v1::ITEM_STATUS_SUPERSEDED);
}

TEST(Fold, SupersedesIgnoresAnotherMakersProposal) {
  auto s = Fold({
      E("p1", 1, "2003").By({"PRK"}).To({"USA"}).Proposal("peace", "talks"),
      E("p2", 2, "2004").By({"USA"}).To({"PRK"}).Proposal("peace", "other", {}, {}, "p1"),
  });
  EXPECT_EQ(Party(s, "PRK").proposals_made(0).status(), v1::ITEM_STATUS_OPEN);
}

TEST(Fold, AgreementSignWithdrawLapse) {
  std::vector<v1::Event> ev = {
      E("af", 1, "1994-10-21")
          .By({"USA"})
          .To({"PRK"})
          .Agreement(v1::AGREEMENT_ACTION_SIGN, "agreed-framework", "Agreed Framework"),
      E("arm", 2, "1953-07-27")
          .By({"USA", "PRK", "CHN"})
          .Agreement(v1::AGREEMENT_ACTION_SIGN, "armistice", "Armistice"),
      E("void", 3, "1993-04").By({"PRK"}).Agreement(v1::AGREEMENT_ACTION_WITHDRAW, "armistice"),
  };
  auto s = Fold(ev);
  const auto& prk = Party(s, "PRK");
  ASSERT_EQ(prk.agreements_size(), 2);
  const v1::AgreementState& af = prk.agreements(0);  // by key
  EXPECT_EQ(af.agreement(), "agreed-framework");
  EXPECT_EQ(af.title(), "Agreed Framework");
  EXPECT_TRUE(af.in_force());
  EXPECT_EQ(af.signed_event_id(), "af");
  EXPECT_EQ(Strings(af.parties()), (std::vector<std::string>{"PRK", "USA"}));
  const v1::AgreementState& arm = prk.agreements(1);
  EXPECT_FALSE(arm.in_force());
  EXPECT_EQ(arm.ended_event_id(), "void");
  EXPECT_EQ(arm.ended().year(), 1993);
  EXPECT_EQ(Strings(arm.parties()), (std::vector<std::string>{"CHN", "PRK", "USA"}));
  // Withdrawal is the withdrawer's: the others keep it in force.
  EXPECT_TRUE(Party(s, "USA").agreements(1).in_force());

  ev.push_back(E("lapse", 4, "2004-06")
                   .By({"USA", "PRK"})
                   .Agreement(v1::AGREEMENT_ACTION_LAPSE, "agreed-framework"));
  s = Fold(ev);
  for (const char* p : {"PRK", "USA"}) {
    EXPECT_FALSE(Party(s, p).agreements(0).in_force()) << p;
    EXPECT_EQ(Party(s, p).agreements(0).ended_event_id(), "lapse");
  }
  // Lapse leaves the armistice alone.
  EXPECT_TRUE(Party(s, "CHN").agreements(0).in_force());
}

TEST(Fold, AgreementResigningJoinsParties) {
  auto s = Fold({
      E("a1", 1, "2000").By({"USA"}).To({"PRK"}).Agreement(v1::AGREEMENT_ACTION_SIGN, "k", "K"),
      E("a2", 2, "2001").By({"JPN"}).Agreement(v1::AGREEMENT_ACTION_SIGN, "k"),
  });
  EXPECT_EQ(Strings(Party(s, "USA").agreements(0).parties()),
            (std::vector<std::string>{"JPN", "PRK", "USA"}));
  EXPECT_EQ(Party(s, "JPN").agreements(0).title(), "K");
  EXPECT_EQ(Party(s, "USA").agreements(0).signed_event_id(), "a1");
  EXPECT_EQ(Party(s, "JPN").agreements(0).signed_event_id(), "a2");
}

TEST(Fold, ConsultContactsChannelsAndForums) {
  auto s = Fold({
      E("round1", 1, "2003-08")
          .By({"CHN", "JPN", "KOR", "PRK", "RUS", "USA"})
          .Consult(v1::CONSULT_KIND_MULTILATERAL, "six-party-talks"),
      E("summit", 2, "2002-09-17").By({"JPN"}).To({"PRK"}).Consult(v1::CONSULT_KIND_SUMMIT),
  });
  // Every pair of participants met.
  const v1::Relation* us_prk = Rel(s, "USA", "PRK");
  ASSERT_NE(us_prk, nullptr);
  EXPECT_EQ(us_prk->events(), 1u);
  EXPECT_FALSE(us_prk->direct_channel());  // multilateral only
  EXPECT_DOUBLE_EQ(us_prk->score(), 1.0);
  EXPECT_EQ(us_prk->quad_counts(0), 1u);
  EXPECT_EQ(us_prk->last_event_id(), "round1");
  EXPECT_EQ(Party(s, "USA").relations_size(), 5);
  const v1::Relation* jp = Rel(s, "JPN", "PRK");
  EXPECT_TRUE(jp->direct_channel());
  EXPECT_EQ(jp->events(), 2u);
  EXPECT_EQ(jp->last_event_id(), "round1");  // the later one in time
  EXPECT_TRUE(Rel(s, "PRK", "JPN")->direct_channel());
  // The forum counts as taken part in.
  ASSERT_EQ(Party(s, "RUS").forums_size(), 1);
  EXPECT_EQ(Party(s, "RUS").forums(0).forum(), "six-party-talks");
  EXPECT_EQ(Party(s, "RUS").forums(0).event_id(), "round1");
}

TEST(Fold, DirectChannelKinds) {
  for (auto [kind, direct] :
       std::vector<std::pair<v1::ConsultKind, bool>>{{v1::CONSULT_KIND_BILATERAL, true},
                                                     {v1::CONSULT_KIND_SUMMIT, true},
                                                     {v1::CONSULT_KIND_SECRET, true},
                                                     {v1::CONSULT_KIND_PHONE, true},
                                                     {v1::CONSULT_KIND_MULTILATERAL, false},
                                                     {v1::CONSULT_KIND_WORKING_LEVEL, false}}) {
    auto s = Fold({E("c", 1, "2003").By({"USA"}).To({"PRK"}).Consult(kind)});
    EXPECT_EQ(Rel(s, "USA", "PRK")->direct_channel(), direct) << kind;
  }
}

TEST(Fold, AidFlowsPledgedDeliveredGivenReceived) {
  auto s = Fold({
      E("p", 1, "2004-05-22")
          .By({"JPN"})
          .To({"PRK"})
          .Aid(v1::AID_ACTION_PLEDGE, "food grain", 250000, "t"),
      E("d", 2, "2004-06")
          .By({"JPN"})
          .To({"PRK"})
          .Aid(v1::AID_ACTION_DELIVERY, "food grain", 100000, "t"),
      E("m", 3, "2004-06")
          .By({"JPN"})
          .To({"PRK"})
          .Aid(v1::AID_ACTION_PLEDGE, "medicine", 10, "USD"),
  });
  const auto& prk = Party(s, "PRK");
  ASSERT_EQ(prk.aid_received_size(), 2);
  const v1::Flow& f = prk.aid_received(0);  // by (counterpart, commodity, unit)
  EXPECT_EQ(f.counterpart(), "JPN");
  EXPECT_EQ(f.commodity(), "food grain");
  EXPECT_EQ(f.unit(), "t");
  EXPECT_DOUBLE_EQ(f.pledged(), 250000);
  EXPECT_DOUBLE_EQ(f.delivered(), 100000);
  EXPECT_EQ(Strings(f.event_ids()), (std::vector<std::string>{"p", "d"}));
  EXPECT_EQ(prk.aid_received(1).commodity(), "medicine");
  const auto& jpn = Party(s, "JPN");
  ASSERT_EQ(jpn.aid_given_size(), 2);
  EXPECT_EQ(jpn.aid_given(0).counterpart(), "PRK");
  EXPECT_DOUBLE_EQ(jpn.aid_given(0).pledged(), 250000);
  EXPECT_EQ(prk.aid_given_size(), 0);
}

TEST(Fold, AidSplitsJointQuantities) {
  auto s = Fold({E("p", 1, "2003")
                     .By({"KOR", "CHN"})
                     .To({"PRK"})
                     .Aid(v1::AID_ACTION_PLEDGE, "oil", 500000, "t")});
  EXPECT_DOUBLE_EQ(Party(s, "PRK").aid_received(0).pledged(), 250000);
  EXPECT_DOUBLE_EQ(Party(s, "PRK").aid_received(1).pledged(), 250000);
  EXPECT_DOUBLE_EQ(Party(s, "KOR").aid_given(0).pledged(), 250000);
  auto none = Fold({E("p", 1, "2003").By({"CHN"}).Aid(v1::AID_ACTION_PLEDGE, "oil", 5, "t")});
  ASSERT_EQ(Party(none, "CHN").aid_given_size(), 1);
  EXPECT_EQ(Party(none, "CHN").aid_given(0).counterpart(), "");
}

TEST(Fold, ConcessionsInFoldOrder) {
  auto s = Fold({
      E("c2", 1, "2004-05-22").By({"PRK"}).To({"JPN"}).Concede(v1::CONCEDE_KIND_RETURN, "five"),
      E("c1", 2, "2002-10").By({"PRK"}).To({"JPN"}).Concede(v1::CONCEDE_KIND_RETURN, "five"),
  });
  EXPECT_EQ(Strings(Party(s, "PRK").concessions()), (std::vector<std::string>{"c1", "c2"}));
}

TEST(Fold, SanctionsImposeLiftPartial) {
  std::vector<v1::Event> ev = {
      E("s1", 1, "1950-12-17")
          .By({"USA"})
          .To({"PRK", "CHN"})
          .Sanction(v1::SANCTION_ACTION_IMPOSE, "us-sanctions"),
      E("s2", 2, "1960")
          .By({"JPN"})
          .To({"PRK"})
          .Sanction(v1::SANCTION_ACTION_IMPOSE, "us-sanctions"),
  };
  auto s = Fold(ev);
  const v1::SanctionState& st = Party(s, "PRK").sanctions_suffered(0);
  EXPECT_EQ(st.measure(), "us-sanctions");
  EXPECT_EQ(Strings(st.imposers()), (std::vector<std::string>{"JPN", "USA"}));
  EXPECT_EQ(Strings(st.targets()), (std::vector<std::string>{"CHN", "PRK"}));
  EXPECT_EQ(st.event_id(), "s1");
  EXPECT_EQ(st.since().year(), 1950);
  EXPECT_EQ(Party(s, "JPN").sanctions_imposed_size(), 1);

  ev.push_back(E("l1", 3, "1970")
                   .By({"USA"})
                   .To({"CHN"})
                   .Sanction(v1::SANCTION_ACTION_LIFT, "us-sanctions"));
  s = Fold(ev);
  EXPECT_EQ(Party(s, "CHN").sanctions_suffered_size(), 0);
  EXPECT_EQ(Strings(Party(s, "USA").sanctions_imposed(0).targets()),
            (std::vector<std::string>{"PRK"}));
  ev.push_back(E("l2", 4, "2008").By({"USA"}).Sanction(v1::SANCTION_ACTION_LIFT, "us-sanctions"));
  s = Fold(ev);
  EXPECT_EQ(Party(s, "PRK").sanctions_suffered_size(), 0);
  EXPECT_EQ(Party(s, "USA").sanctions_imposed_size(), 0);
  EXPECT_EQ(Party(s, "JPN").sanctions_imposed_size(), 0);
}

TEST(Fold, ForumJoinLeave) {
  std::vector<v1::Event> ev = {
      E("j", 1, "2003-05-31").By({"USA", "JPN"}).Forum(v1::FORUM_ACTION_JOIN, "psi"),
      E("j2", 2, "2003-06").By({"USA"}).Forum(v1::FORUM_ACTION_JOIN, "psi"),
      E("l", 3, "2004").By({"JPN"}).Forum(v1::FORUM_ACTION_LEAVE, "psi"),
  };
  auto s = Fold(ev);
  ASSERT_EQ(Party(s, "USA").forums_size(), 1);
  EXPECT_EQ(Party(s, "USA").forums(0).event_id(), "j");  // joined once, from the first
  EXPECT_EQ(Party(s, "JPN").forums_size(), 0);
  EXPECT_EQ(Party(Fold(ev, 20031231), "JPN").forums_size(), 1);
}

TEST(Fold, ConflictAndRelationScores) {
  auto s = Fold({
      E("war", 1, "1950-06-25")
          .By({"PRK"})
          .To({"KOR", "USA"})
          .Conflict(v1::CONFLICT_KIND_ASSAULT)
          .Cameo("190"),
      E("acc", 2, "2003").By({"USA"}).To({"PRK"}).Conflict(v1::CONFLICT_KIND_ACCUSE),
      E("mtg", 3, "2003-08-27")
          .By({"USA"})
          .To({"PRK"})
          .Consult(v1::CONSULT_KIND_BILATERAL)
          .Weight(2.5),
  });
  const v1::Relation* r = Rel(s, "PRK", "USA");
  ASSERT_NE(r, nullptr);
  EXPECT_DOUBLE_EQ(r->score(), -10.0 - 2.0 + 2.5);
  ASSERT_EQ(r->quad_counts_size(), 4);
  EXPECT_EQ(r->quad_counts(0), 1u);
  EXPECT_EQ(r->quad_counts(1), 0u);
  EXPECT_EQ(r->quad_counts(2), 1u);
  EXPECT_EQ(r->quad_counts(3), 1u);
  EXPECT_EQ(r->events(), 3u);
  EXPECT_EQ(r->last_contact().day(), 27);
  EXPECT_EQ(r->last_event_id(), "mtg");
  EXPECT_TRUE(r->direct_channel());
  // Both sides see the same relation.
  const v1::Relation* back = Rel(s, "USA", "PRK");
  EXPECT_DOUBLE_EQ(back->score(), r->score());
  EXPECT_EQ(back->events(), 3u);
  EXPECT_DOUBLE_EQ(Rel(s, "KOR", "PRK")->score(), -10.0);
  EXPECT_EQ(Rel(s, "KOR", "USA"), nullptr);  // co-recipients had no contact
}

TEST(Fold, RelationPairsCountOncePerEvent) {
  auto s = Fold({E("x", 1, "2003")
                     .By({"USA", "JPN"})
                     .To({"JPN", "USA"})
                     .Conflict(v1::CONFLICT_KIND_PROTEST)});
  EXPECT_EQ(Rel(s, "USA", "JPN")->events(), 1u);
  EXPECT_DOUBLE_EQ(Rel(s, "USA", "JPN")->score(), -6.5);
  EXPECT_EQ(Rel(s, "USA", "USA"), nullptr);
}

TEST(Fold, StatementWithoutRecipientsTouchesNoRelation) {
  auto s = Fold({E("s", 1, "2003").By({"USA"}).Statement("x", v1::STANCE_SUPPORT)});
  EXPECT_EQ(Party(s, "USA").relations_size(), 0);
  EXPECT_EQ(s.events_applied(), 1u);
  EXPECT_EQ(s.last_seq(), 1u);
}

// ---- partial dates and precision --------------------------------------------------

TEST(Fold, MonthEventVisibleFromFirstOfMonth) {
  std::vector<v1::Event> ev = {
      E("m", 1, "2003-12").By({"PRK"}).Statement("x", v1::STANCE_SUPPORT),
  };
  EXPECT_EQ(Fold(ev, 20031130).events_applied(), 0u);  // last day of November
  EXPECT_EQ(Fold(ev, 20031201).events_applied(), 1u);  // first of December
  EXPECT_EQ(Fold(ev, EndKey(D("2003-11"))).events_applied(), 0u);
  EXPECT_EQ(Fold(ev, EndKey(D("2003-12"))).events_applied(), 1u);
  std::vector<v1::Event> year = {E("y", 1, "2004").By({"PRK"}).Statement("x", v1::STANCE_SUPPORT)};
  EXPECT_EQ(Fold(year, 20031231).events_applied(), 0u);
  EXPECT_EQ(Fold(year, 20040101).events_applied(), 1u);
  EXPECT_EQ(Fold(year, EndKey(D("2003"))).events_applied(), 0u);
}

TEST(Fold, PrecisionIsCoarsestUnfinishedPeriod) {
  std::vector<v1::Event> ev = {
      E("y", 1, "2003").By({"PRK"}).Statement("a", v1::STANCE_SUPPORT),
      E("m", 2, "2004-05").By({"PRK"}).Statement("b", v1::STANCE_SUPPORT),
      E("d", 3, "2004-05-22").By({"PRK"}).Statement("c", v1::STANCE_SUPPORT),
  };
  EXPECT_EQ(Fold(ev, 20030615).precision(), "year");   // 2003 not over
  EXPECT_EQ(Fold(ev, 20040101).precision(), "day");    // 2003 over, May not begun
  EXPECT_EQ(Fold(ev, 20040510).precision(), "month");  // within May 2004
  EXPECT_EQ(Fold(ev, 20040531).precision(), "day");
  EXPECT_EQ(Fold(ev).precision(), "day");
}

// ---- corrections ----------------------------------------------------------------

TEST(Corrections, RetractionVoids) {
  auto s = Fold({
      E("s", 1, "2003").By({"PRK"}).Statement("x", v1::STANCE_SUPPORT),
      E("r", 2, "2004").By({"PRK"}).Retract("s"),
  });
  EXPECT_EQ(Party(s, "PRK").positions_size(), 0);
  EXPECT_EQ(s.events_applied(), 0u);
  EXPECT_EQ(s.last_seq(), 0u);
}

TEST(Corrections, LatestCorrectionReplacesRetroactively) {
  std::vector<v1::Event> ev = {
      E("p", 1, "2004-05-22").By({"JPN"}).To({"PRK"}).Aid(v1::AID_ACTION_PLEDGE, "food", 100, "t"),
  };
  E c1("c1", 2, "2004-06-01");
  c1.By({"JPN"}).Correct("p");
  v1::Move* m = c1.correction().mutable_move();
  m->mutable_aid()->set_action(v1::AID_ACTION_PLEDGE);
  m->mutable_aid()->set_commodity("food");
  m->mutable_aid()->set_quantity(250000);
  m->mutable_aid()->set_unit("t");
  ev.push_back(c1);
  E c2("c2", 3, "2004-06-02");
  c2.By({"JPN"}).Correct("p");
  *c2.correction().mutable_occurred() = D("2004-05-23");
  c2.correction().add_recipients("KOR");
  ev.push_back(c2);

  // Known at 2: quantity corrected, date and recipient kept.
  auto s = Fold(ev, kMaxKey, 2);
  EXPECT_DOUBLE_EQ(Party(s, "PRK").aid_received(0).pledged(), 250000);
  // Known at 3: only the latest correction applies (its move is empty: the
  // original move, 100 t, stands) and the pledge moved to the 23rd, to KOR.
  s = Fold(ev);
  EXPECT_EQ(Party(s, "PRK").aid_received_size(), 0);
  EXPECT_DOUBLE_EQ(Party(s, "KOR").aid_received(0).pledged(), 100);
  EXPECT_EQ(Fold(ev, 20040522).events_applied(), 0u);
  EXPECT_EQ(Fold(ev, 20040523).events_applied(), 1u);
  // Known at 1: as recorded.
  EXPECT_EQ(Party(Fold(ev, kMaxKey, 1), "PRK").aid_received_size(), 1);
}

TEST(Corrections, RetractingACorrectionRestoresThePreviousOne) {
  std::vector<v1::Event> ev = {
      E("s", 1, "2003").By({"PRK"}).Statement("x", v1::STANCE_SUPPORT),
  };
  E c1("c1", 2, "2004");
  c1.By({"PRK"}).Correct("s").correction().mutable_move()->mutable_statement()->set_issue("y");
  c1.correction().mutable_move()->mutable_statement()->set_stance(v1::STANCE_OPPOSE);
  ev.push_back(c1);
  E c2("c2", 3, "2004");
  c2.By({"PRK"}).Correct("s").correction().add_actor("USA");
  ev.push_back(c2);
  ev.push_back(E("r", 4, "2004").By({"PRK"}).Retract("c2"));

  auto s = Fold(ev);
  ASSERT_EQ(Party(s, "PRK").positions_size(), 1);
  EXPECT_EQ(Party(s, "PRK").positions(0).issue(), "y");
  EXPECT_EQ(Party(s, "USA").positions_size(), 0);
  s = Fold(ev, kMaxKey, 3);  // before the retraction: c2 applies
  EXPECT_EQ(Party(s, "USA").positions(0).issue(), "x");
  // Retracting the retraction brings c2 back.
  ev.push_back(E("rr", 5, "2004").By({"PRK"}).Retract("r"));
  EXPECT_EQ(Party(Fold(ev), "USA").positions_size(), 1);
}

TEST(Corrections, ApplyKeepsEmptyFields) {
  v1::Event orig =
      E("s", 7, "2003-01-02").By({"PRK"}).To({"USA"}).Statement("x", v1::STANCE_SUPPORT);
  v1::Correction c;
  c.set_target("s");
  *c.mutable_occurred() = D("2002");
  v1::Event e = ApplyCorrection(orig, c);
  EXPECT_EQ(e.occurred().year(), 2002);
  EXPECT_EQ(e.occurred().month(), 0);
  EXPECT_EQ(e.seq(), 7u);
  EXPECT_EQ(e.actor(0), "PRK");
  EXPECT_EQ(e.recipients(0), "USA");
  EXPECT_TRUE(e.move().has_statement());
}

// ---- snapshots, determinism ---------------------------------------------------------

TEST(Snapshot, KeyOrderIsFoldOrderWithinEachFoldedSet) {
  const FieldSet all;
  EXPECT_LT(SnapshotKey(all, {20031200, 9}), SnapshotKey(all, {20031201, 1}));
  EXPECT_LT(SnapshotKey(all, {20031201, 1}), SnapshotKey(all, {20031201, 256}));
  auto p = ParseSnapshotKey(SnapshotKey(all, {20031209, 123456789}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pos.key, 20031209u);
  EXPECT_EQ(p->pos.seq, 123456789u);
  EXPECT_TRUE(p->folded.all());

  // A set's snapshots lie between its first key and SnapshotKeyEnd; those of
  // another set lie wholly before or after them.
  FieldSet positions = FieldSet::None();
  positions.Add(kPositions);
  FieldSet offers = FieldSet::None();
  offers.Add(kDemandsMade);
  offers = offers.Folded();
  for (const FieldSet& set : {positions, offers, all}) {
    const std::string first = SnapshotKey(set, {0, 0}),
                      last = SnapshotKey(set, {kMaxKey, UINT64_MAX});
    EXPECT_LT(last, SnapshotKeyEnd(set));
    for (const FieldSet& other : {positions, offers, all}) {
      if (other == set) continue;
      const std::string o = SnapshotKey(other, {20031201, 1});
      EXPECT_TRUE(o < first || o >= SnapshotKeyEnd(set));
    }
    EXPECT_EQ(ParseSnapshotKey(last)->folded, set);
  }
  // Only sets a fold keeps name snapshots: demands_made alone is not one.
  FieldSet demands = FieldSet::None();
  demands.Add(kDemandsMade);
  EXPECT_FALSE(ParseSnapshotKey(SnapshotKey(demands, {20031201, 1})));
  EXPECT_FALSE(ParseSnapshotKey(SnapshotKey(FieldSet::None(), {20031201, 1})));
  EXPECT_FALSE(ParseSnapshotKey("short"));
  EXPECT_FALSE(ParseSnapshotKey(std::string(12, '\x01'))) << "the first format's 12-byte keys";
  EXPECT_FALSE(DecodeSnapshot("\xff\xff garbage"));
}

// A state folded for some lists shows exactly those lists of the state folded
// for all of them, and keeps (and snapshots) only the parts it needs.
TEST(FieldSets, ScopedFoldShowsTheListsOfTheWholeFold) {
  std::vector<FieldSet> sets;
  for (int f = kPositions; f <= kConcessions; ++f) {
    FieldSet one = FieldSet::None();
    one.Add(f);
    sets.push_back(one);
  }
  FieldSet standing = FieldSet::None();
  for (int f : {kPositions, kAgreements, kSanctionsSuffered, kRelations, kForums}) standing.Add(f);
  sets.push_back(standing);
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    testing::StreamGen gen(seed, kRoster);
    const std::vector<v1::Event> order = FoldOrder(gen.Take(1, 400));
    FoldState whole(kRoster);
    for (const v1::Event& e : order) whole.Apply(e);
    const v1::ScenarioState all = whole.ToProto();
    for (const FieldSet& set : sets) {
      FoldState scoped(kRoster, set);
      for (const v1::Event& e : order) scoped.Apply(e);
      // The whole state with the other lists cleared.
      v1::ScenarioState want = all;
      for (v1::PartyState& ps : *want.mutable_parties()) {
        const google::protobuf::Reflection* r = ps.GetReflection();
        for (int f = kPositions; f <= kConcessions; ++f)
          if (!set.Has(f)) r->ClearField(&ps, ps.GetDescriptor()->FindFieldByNumber(f));
      }
      ASSERT_EQ(Bytes(scoped.ToProto()), Bytes(want)) << "seed " << seed << " set " << set.bits();
      FoldState copy = scoped;
      ASSERT_EQ(Bytes(std::move(copy).TakeProto({"PRK", "USA"})),
                Bytes(scoped.ToProto({"PRK", "USA"})));
      // The snapshot holds the folded lists only, and resumes as the set.
      std::optional<Snapshot> snap =
          DecodeSnapshot(EncodeSnapshot(scoped, Position{1, 1}, order.size()), set);
      ASSERT_TRUE(snap);
      EXPECT_EQ(Bytes(snap->state.ToProto()), Bytes(want));
      v1::ReplaySnapshot raw;
      ASSERT_TRUE(raw.ParseFromString(EncodeSnapshot(scoped, Position{1, 1}, order.size())));
      for (const v1::PartyState& ps : raw.state().parties()) {
        std::vector<const google::protobuf::FieldDescriptor*> present;
        ps.GetReflection()->ListFields(ps, &present);
        for (const auto* fd : present) {
          if (fd->number() == v1::PartyState::kPartyFieldNumber) continue;
          EXPECT_TRUE(set.Folded().Has(fd->number())) << fd->name() << " in set " << set.bits();
        }
      }
    }
  }
}

// Resuming from a decoded snapshot at any point gives the same bytes as one
// straight fold; and two folds give identical bytes.
TEST(Snapshot, ResumeFromEveryPrefixEqualsStraightFold) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    testing::StreamGen gen(seed, kRoster);
    gen.set_correction_percent(10);
    const std::vector<v1::Event> lineage = gen.Take(1, 120);
    const std::vector<v1::Event> order = FoldOrder(lineage);
    FoldState straight(kRoster);
    for (const v1::Event& e : order) straight.Apply(e);
    const std::string want = Bytes(straight.ToProto());
    EXPECT_EQ(Bytes(ReplayInMemory(lineage, kRoster)), Bytes(ReplayInMemory(lineage, kRoster)));

    FoldState prefix(kRoster);
    for (size_t cut = 0; cut <= order.size(); ++cut) {
      if (cut > 0) prefix.Apply(order[cut - 1]);
      if (cut % 7 != 0 && cut != order.size()) continue;
      std::optional<Snapshot> snap =
          DecodeSnapshot(EncodeSnapshot(prefix, Position{1, cut}, lineage.size()));
      ASSERT_TRUE(snap);
      EXPECT_EQ(Bytes(snap->state.ToProto()), Bytes(prefix.ToProto()));
      for (size_t i = cut; i < order.size(); ++i) snap->state.Apply(order[i]);
      ASSERT_EQ(Bytes(snap->state.ToProto()), want) << "seed " << seed << " cut " << cut;
      EXPECT_EQ(snap->state.PrecisionAt(20020615), straight.PrecisionAt(20020615));
    }
  }
}

// TakeProto moves items out instead of copying: an offer or sanction shown in
// several parties' lists must still reach each of them whole, for every
// choice of parties.
TEST(Snapshot, TakeProtoEqualsToProtoForEveryPartySubset) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    testing::StreamGen gen(seed, kRoster);
    FoldState state(kRoster);
    for (const v1::Event& e : FoldOrder(gen.Take(1, 300))) state.Apply(e);
    for (uint32_t mask = 0; mask < (1u << kRoster.size()); ++mask) {
      std::vector<std::string> only;
      for (size_t i = 0; i < kRoster.size(); ++i)
        if (mask & (1u << i)) only.push_back(kRoster[i]);
      FoldState copy = state;
      const std::string want = Bytes(state.ToProto(only));
      ASSERT_EQ(Bytes(std::move(copy).TakeProto(only)), want)
          << "seed " << seed << " mask " << mask;
    }
    // The whole state, with shared offers in several lists.
    const v1::ScenarioState whole = state.ToProto();
    size_t offers = 0;
    for (const auto& p : whole.parties()) offers += p.demands_made_size() + p.demands_faced_size();
    EXPECT_GT(offers, 0u) << "seed " << seed;
  }
}

// A large state is built on two threads, half of the parties each, with the
// items shown in both halves copied: the whole answer must equal the parties
// built one at a time (each small enough to be built on one thread), taken
// or copied.
TEST(Snapshot, ALargeStateBuiltOnTwoThreadsEqualsItsPartiesOneByOne) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    testing::StreamGen gen(seed, kRoster);
    FoldState state(kRoster);
    for (const v1::Event& e : FoldOrder(gen.Take(1, 12000))) state.Apply(e);
    v1::ScenarioState one_by_one;
    for (const std::string& party : kRoster) {
      v1::ScenarioState single = state.ToProto({party});
      ASSERT_EQ(single.parties_size(), 1);
      *one_by_one.add_parties() = single.parties(0);
      one_by_one.set_events_applied(single.events_applied());
      one_by_one.set_last_seq(single.last_seq());
    }
    // Counted as the build counts them: every list of every party.
    size_t items = 0, most = 0;
    for (const auto& p : one_by_one.parties()) {
      const size_t n = p.positions_size() + p.demands_made_size() + p.demands_faced_size() +
                       p.proposals_made_size() + p.proposals_received_size() + p.agreements_size() +
                       p.aid_given_size() + p.aid_received_size() + p.sanctions_imposed_size() +
                       p.sanctions_suffered_size() + p.relations_size() + p.forums_size() +
                       p.concessions_size();
      items += n;
      most = std::max(most, n);
    }
    ASSERT_GE(items, FoldState::kParallelBuildItems) << "seed " << seed;
    ASSERT_LT(most, FoldState::kParallelBuildItems) << "seed " << seed;
    const std::string want = Bytes(one_by_one);
    EXPECT_EQ(Bytes(state.ToProto()), want) << "seed " << seed;
    FoldState copy = state;
    EXPECT_EQ(Bytes(std::move(copy).TakeProto()), want) << "seed " << seed;
  }
}

// EncodeSnapshot writes the state straight from the fold: its bytes must be
// exactly the deterministic serialization of the ReplaySnapshot message
// (an agreement's shared part with the first party that lists it only), for
// empty and grown states, zero and non-zero positions.
TEST(Snapshot, EncodingEqualsTheSerializedMessage) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    testing::StreamGen gen(seed, kRoster);
    gen.set_correction_percent(10);
    const std::vector<v1::Event> order = FoldOrder(gen.Take(1, 150));
    FoldState state(seed % 5 == 0 ? std::vector<std::string>{} : kRoster);
    for (size_t cut = 0; cut <= order.size(); ++cut) {
      if (cut > 0) state.Apply(order[cut - 1]);
      if (cut % 25 != 0 && cut != order.size()) continue;
      const Position pos{cut % 2 ? 20030827u : 0u, cut};
      const uint64_t head = seed % 3 ? cut + seed : 0;
      v1::ReplaySnapshot snap;
      snap.set_format(kSnapshotFormat);
      *snap.mutable_state() = state.ToProto();
      std::set<std::string> shared;
      for (v1::PartyState& ps : *snap.mutable_state()->mutable_parties()) {
        for (v1::AgreementState& a : *ps.mutable_agreements()) {
          if (shared.insert(a.agreement()).second) continue;
          a.clear_title();
          a.clear_terms();
          a.clear_parties();
        }
      }
      snap.set_position_key(pos.key);
      snap.set_position_seq(pos.seq);
      snap.set_built_head(head);
      snap.set_month_end_max(state.month_end_max());
      snap.set_year_end_max(state.year_end_max());
      ASSERT_EQ(EncodeSnapshot(state, pos, head), ItemBytes(snap))
          << "seed " << seed << " cut " << cut;
    }
  }
}

TEST(Snapshot, EncodingIsDeterministic) {
  testing::StreamGen a(42, kRoster), b(42, kRoster);
  FoldState sa(kRoster), sb(kRoster);
  for (const v1::Event& e : FoldOrder(a.Take(1, 200))) sa.Apply(e);
  for (const v1::Event& e : FoldOrder(b.Take(1, 200))) sb.Apply(e);
  EXPECT_EQ(EncodeSnapshot(sa, {1, 2}, 3), EncodeSnapshot(sb, {1, 2}, 3));
}

// Lists stay in their documented order whatever the event order.
TEST(Fold, ListsAreSorted) {
  testing::StreamGen gen(7, kRoster);
  auto s = ReplayInMemory(gen.Take(1, 400), kRoster);
  for (const auto& p : s.parties()) {
    auto sorted = [](const auto& list, auto key) {
      for (int i = 1; i < list.size(); ++i)
        if (!(key(list[i - 1]) < key(list[i]))) return false;
      return true;
    };
    EXPECT_TRUE(sorted(p.positions(), [](const auto& x) { return x.issue(); }));
    EXPECT_TRUE(sorted(p.demands_made(), [](const auto& x) { return x.event_id(); }));
    EXPECT_TRUE(sorted(p.proposals_received(), [](const auto& x) { return x.event_id(); }));
    EXPECT_TRUE(sorted(p.agreements(), [](const auto& x) { return x.agreement(); }));
    EXPECT_TRUE(sorted(p.aid_given(), [](const auto& x) {
      return std::make_tuple(x.counterpart(), x.commodity(), x.unit());
    }));
    EXPECT_TRUE(sorted(p.sanctions_suffered(), [](const auto& x) { return x.measure(); }));
    EXPECT_TRUE(sorted(p.relations(), [](const auto& x) { return x.counterpart(); }));
    EXPECT_TRUE(sorted(p.forums(), [](const auto& x) { return x.forum(); }));
  }
}

}  // namespace
}  // namespace demarche::replay
