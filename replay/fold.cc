#include "replay/fold.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "google/protobuf/wrappers.pb.h"
#include "replay/dates.h"
#include "replay/items.h"
#include "replay/weights.h"

namespace demarche::replay {
namespace {

using Names = std::set<std::string>;

struct FlowId {
  std::string counterpart, commodity, unit;
  friend bool operator<(const FlowId& a, const FlowId& b) {
    return std::tie(a.counterpart, a.commodity, a.unit) <
           std::tie(b.counterpart, b.commodity, b.unit);
  }
};

struct PartyWork {
  std::map<std::string, v1::Position> positions;
  Names demands_made, demands_faced, proposals_made, proposals_received;  // offer ids
  // Per-party part of an agreement (in_force, signed, ended); the shared part
  // (title, terms, parties) lives in Data::agreements.
  std::map<std::string, v1::AgreementState> agreements;
  std::map<FlowId, v1::Flow> aid_given, aid_received;
  Names sanctions_imposed, sanctions_suffered;  // measure keys
  std::map<std::string, v1::Relation> relations;
  std::map<std::string, v1::ForumState> forums;
  std::vector<std::string> concessions;
};

struct AgreementInfo {
  std::string title;
  google::protobuf::RepeatedPtrField<v1::Term> terms;
  Names parties;
};

bool IsFinal(v1::ItemStatus s) {
  return s == v1::ITEM_STATUS_WITHDRAWN || s == v1::ITEM_STATUS_SUPERSEDED;
}

std::vector<std::string> SortedUnique(const google::protobuf::RepeatedPtrField<std::string>& in) {
  std::vector<std::string> out(in.begin(), in.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void SetList(google::protobuf::RepeatedPtrField<std::string>* field, const Names& names) {
  field->Clear();
  for (const std::string& n : names) field->Add(std::string(n));
}

Names ToNames(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return Names(in.begin(), in.end());
}

// The list a kind of move changes, standing for its part of the fold
// (FieldSet::Folded keeps a part's lists together); nullopt for the kinds
// that change relations only.
std::optional<Field> ListChanged(v1::Move::KindCase kind) {
  switch (kind) {
    case v1::Move::kStatement:
      return kPositions;
    case v1::Move::kDemand:
    case v1::Move::kProposal:
    case v1::Move::kResponse:
      return kDemandsMade;
    case v1::Move::kAgreement:
      return kAgreements;
    case v1::Move::kConsult:
    case v1::Move::kForum:
      return kForums;
    case v1::Move::kAid:
      return kAidGiven;
    case v1::Move::kConcede:
      return kConcessions;
    case v1::Move::kSanction:
      return kSanctionsImposed;
    default:
      return std::nullopt;
  }
}

bool Intersects(const google::protobuf::RepeatedPtrField<std::string>& a,
                const std::vector<std::string>& b) {
  for (const std::string& x : a)
    if (std::binary_search(b.begin(), b.end(), x)) return true;
  return false;
}

}  // namespace

struct FoldState::Data {
  FieldSet fields;  // shown
  FieldSet folded;  // kept: fields.Folded()
  std::map<std::string, PartyWork> parties;
  // By event id, as every party sees it. Looked up, never walked in order
  // (parties list their offers' ids in sorted sets).
  std::unordered_map<std::string, v1::Offer> offers;
  std::map<std::string, AgreementInfo> agreements;     // by key
  std::map<std::string, v1::SanctionState> sanctions;  // in force, by measure
  uint64_t events_applied = 0;
  uint64_t last_seq = 0;
  uint32_t month_end_max = 0;  // latest EndKey of a folded month-precision event
  uint32_t year_end_max = 0;

  std::unique_ptr<v1::AgreementState> Agreement(const std::string& party,
                                                const std::string& key) const {
    auto p = parties.find(party);
    if (p == parties.end()) return nullptr;
    auto a = p->second.agreements.find(key);
    if (a == p->second.agreements.end()) return nullptr;
    auto out = std::make_unique<v1::AgreementState>(a->second);
    auto info = agreements.find(key);
    if (info != agreements.end()) {
      out->set_title(info->second.title);
      *out->mutable_terms() = info->second.terms;
      SetList(out->mutable_parties(), info->second.parties);
    }
    return out;
  }
};

FoldState::FoldState() : d_(std::make_unique<Data>()) {}

FoldState::FoldState(const std::vector<std::string>& roster, FieldSet fields) : FoldState() {
  d_->fields = fields;
  d_->folded = fields.Folded();
  for (const std::string& code : roster) AddParty(code);
}

FoldState::FoldState(const FoldState& other)
    : d_(std::make_unique<Data>(*other.d_)), journal_(nullptr) {}

FoldState& FoldState::operator=(const FoldState& other) {
  if (this != &other) {
    d_ = std::make_unique<Data>(*other.d_);
    journal_ = nullptr;
  }
  return *this;
}

FoldState::FoldState(FoldState&&) noexcept = default;
FoldState& FoldState::operator=(FoldState&&) noexcept = default;
FoldState::~FoldState() = default;

void FoldState::AddParty(const std::string& code) { d_->parties.try_emplace(code); }

FieldSet FoldState::fields() const { return d_->fields; }
uint64_t FoldState::events_applied() const { return d_->events_applied; }
uint64_t FoldState::last_seq() const { return d_->last_seq; }
uint32_t FoldState::month_end_max() const { return d_->month_end_max; }
uint32_t FoldState::year_end_max() const { return d_->year_end_max; }

std::string FoldState::PrecisionAt(uint32_t as_of_key) const {
  if (d_->year_end_max > as_of_key) return PrecisionName(Precision::kYear);
  if (d_->month_end_max > as_of_key) return PrecisionName(Precision::kMonth);
  return PrecisionName(Precision::kDay);
}

void FoldState::Touch(const std::string& party, int field, const std::string& key) {
  if (journal_ != nullptr) journal_->Record(*this, party, field, key);
}

void FoldState::TouchOffer(const v1::Offer& offer) {
  const bool demand = offer.kind() == "demand";
  for (const std::string& m : offer.makers())
    Touch(m, demand ? kDemandsMade : kProposalsMade, offer.event_id());
  for (const std::string& a : offer.addressees())
    Touch(a, demand ? kDemandsFaced : kProposalsReceived, offer.event_id());
}

void FoldState::Apply(const v1::Event& event) {
  const v1::Move& move = event.move();
  if (move.kind_case() == v1::Move::kCorrection || move.kind_case() == v1::Move::KIND_NOT_SET)
    return;
  const std::vector<std::string> actors = SortedUnique(event.actor());
  const std::vector<std::string> recipients = SortedUnique(event.recipients());
  for (const std::string& p : actors) AddParty(p);
  for (const std::string& p : recipients) AddParty(p);

  ApplyMove(event, actors, recipients);
  if (d_->folded.Has(kRelations)) ApplyRelations(event, actors, recipients);

  ++d_->events_applied;
  d_->last_seq = std::max(d_->last_seq, event.seq());
  switch (PrecisionOfDate(event.occurred())) {
    case Precision::kYear:
      d_->year_end_max = std::max(d_->year_end_max, EndKey(event.occurred()));
      break;
    case Precision::kMonth:
      d_->month_end_max = std::max(d_->month_end_max, EndKey(event.occurred()));
      break;
    case Precision::kDay:
      break;
  }
}

void FoldState::ApplyMove(const v1::Event& event, const std::vector<std::string>& actors,
                          const std::vector<std::string>& recipients) {
  const v1::Move& move = event.move();
  const std::string& id = event.id();
  Data& d = *d_;
  if (std::optional<Field> list = ListChanged(move.kind_case()); list && !d.folded.Has(*list))
    return;
  switch (move.kind_case()) {
    case v1::Move::kStatement: {
      const v1::Statement& s = move.statement();
      for (const std::string& a : actors) {
        Touch(a, kPositions, s.issue());
        v1::Position& p = d.parties[a].positions[s.issue()];
        p.set_issue(s.issue());
        p.set_stance(s.stance());
        p.set_position(s.position());
        p.set_event_id(id);
        *p.mutable_since() = event.occurred();
      }
      break;
    }
    case v1::Move::kDemand:
    case v1::Move::kProposal: {
      const bool demand = move.has_demand();
      v1::Offer offer;
      offer.set_event_id(id);
      offer.set_kind(demand ? "demand" : "proposal");
      for (const std::string& a : actors) offer.add_makers(a);
      for (const std::string& r : recipients) offer.add_addressees(r);
      if (demand) {
        offer.set_issue(move.demand().issue());
        offer.set_title(move.demand().text());
        *offer.mutable_terms() = move.demand().terms();
        *offer.mutable_in_return() = move.demand().offers();
      } else {
        offer.set_issue(move.proposal().issue());
        offer.set_title(move.proposal().title());
        *offer.mutable_terms() = move.proposal().terms();
        *offer.mutable_conditions() = move.proposal().conditions();
      }
      offer.set_status(v1::ITEM_STATUS_OPEN);
      *offer.mutable_made() = event.occurred();
      TouchOffer(offer);
      for (const std::string& a : actors)
        (demand ? d.parties[a].demands_made : d.parties[a].proposals_made).insert(id);
      for (const std::string& r : recipients)
        (demand ? d.parties[r].demands_faced : d.parties[r].proposals_received).insert(id);
      d.offers[id] = std::move(offer);

      if (!demand && !move.proposal().supersedes().empty()) {
        auto old = d.offers.find(move.proposal().supersedes());
        if (old != d.offers.end() && old->first != id && old->second.kind() == "proposal" &&
            !IsFinal(old->second.status()) && Intersects(old->second.makers(), actors)) {
          TouchOffer(old->second);
          old->second.set_status(v1::ITEM_STATUS_SUPERSEDED);
          old->second.set_status_event_id(id);
        }
      }
      break;
    }
    case v1::Move::kResponse: {
      const v1::Response& r = move.response();
      auto it = d.offers.find(r.target());
      if (it == d.offers.end() || IsFinal(it->second.status())) break;
      v1::Offer& offer = it->second;
      const Names makers = ToNames(offer.makers());
      if (r.kind() == v1::RESPONSE_KIND_WITHDRAW) {
        if (!Intersects(offer.makers(), actors)) break;
        TouchOffer(offer);
        offer.set_status(v1::ITEM_STATUS_WITHDRAWN);
        offer.set_status_event_id(id);
        break;
      }
      if (r.kind() != v1::RESPONSE_KIND_ACCEPT && r.kind() != v1::RESPONSE_KIND_REJECT) break;
      std::vector<std::string> responders;
      for (const std::string& a : actors)
        if (!makers.contains(a)) responders.push_back(a);
      if (responders.empty()) break;
      TouchOffer(offer);
      const bool accept = r.kind() == v1::RESPONSE_KIND_ACCEPT;
      Names accepted = ToNames(offer.accepted_by());
      Names rejected = ToNames(offer.rejected_by());
      for (const std::string& p : responders) {
        (accept ? accepted : rejected).insert(p);
        (accept ? rejected : accepted).erase(p);
      }
      SetList(offer.mutable_accepted_by(), accepted);
      SetList(offer.mutable_rejected_by(), rejected);
      if (offer.kind() == "proposal") {
        offer.set_status(accept ? v1::ITEM_STATUS_ACCEPTED : v1::ITEM_STATUS_REJECTED);
      } else {
        offer.set_status(accepted.empty() ? v1::ITEM_STATUS_OPEN : v1::ITEM_STATUS_ACCEPTED);
      }
      offer.set_status_event_id(id);
      break;
    }
    case v1::Move::kAgreement: {
      const v1::Agreement& ag = move.agreement();
      const std::string& key = ag.agreement();
      switch (ag.action()) {
        case v1::AGREEMENT_ACTION_SIGN: {
          AgreementInfo& info = d.agreements[key];
          Names signers(actors.begin(), actors.end());
          signers.insert(recipients.begin(), recipients.end());
          Names all = info.parties;
          all.insert(signers.begin(), signers.end());
          // The shared part shows in every party's record.
          for (const std::string& p : all) Touch(p, kAgreements, key);
          if (!ag.title().empty()) info.title = ag.title();
          if (ag.terms_size() > 0) info.terms = ag.terms();
          info.parties = std::move(all);
          for (const std::string& p : signers) {
            v1::AgreementState& st = d.parties[p].agreements[key];
            if (st.in_force()) continue;  // already in force: keeps its first signing
            st.set_agreement(key);
            st.set_in_force(true);
            *st.mutable_signed_() = event.occurred();
            st.set_signed_event_id(id);
            st.clear_ended();
            st.clear_ended_event_id();
          }
          break;
        }
        case v1::AGREEMENT_ACTION_WITHDRAW:
        case v1::AGREEMENT_ACTION_LAPSE: {
          auto info = d.agreements.find(key);
          if (info == d.agreements.end()) break;
          const bool lapse = ag.action() == v1::AGREEMENT_ACTION_LAPSE;
          const Names leaving = lapse ? info->second.parties : Names(actors.begin(), actors.end());
          for (const std::string& p : leaving) {
            auto party = d.parties.find(p);
            if (party == d.parties.end()) continue;
            auto st = party->second.agreements.find(key);
            if (st == party->second.agreements.end() || !st->second.in_force()) continue;
            Touch(p, kAgreements, key);
            st->second.set_in_force(false);
            *st->second.mutable_ended() = event.occurred();
            st->second.set_ended_event_id(id);
          }
          break;
        }
        default:
          break;
      }
      break;
    }
    case v1::Move::kConsult: {
      const std::string& forum = move.consult().forum();
      if (forum.empty()) break;
      Names participants(actors.begin(), actors.end());
      participants.insert(recipients.begin(), recipients.end());
      for (const std::string& p : participants) {
        auto& forums = d.parties[p].forums;
        if (forums.contains(forum)) continue;
        Touch(p, kForums, forum);
        v1::ForumState& f = forums[forum];
        f.set_forum(forum);
        *f.mutable_since() = event.occurred();
        f.set_event_id(id);
      }
      break;
    }
    case v1::Move::kAid: {
      const v1::Aid& aid = move.aid();
      const bool delivery = aid.action() == v1::AID_ACTION_DELIVERY;
      if (aid.action() != v1::AID_ACTION_PLEDGE && !delivery) break;
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const std::string& a : actors) {
        if (recipients.empty()) pairs.emplace_back(a, "");
        for (const std::string& r : recipients)
          if (r != a) pairs.emplace_back(a, r);
      }
      if (pairs.empty()) break;
      const double share = aid.quantity() / static_cast<double>(pairs.size());
      auto add = [&](std::map<FlowId, v1::Flow>& flows, const std::string& counterpart) {
        v1::Flow& f = flows[FlowId{counterpart, aid.commodity(), aid.unit()}];
        f.set_counterpart(counterpart);
        f.set_commodity(aid.commodity());
        f.set_unit(aid.unit());
        if (delivery)
          f.set_delivered(f.delivered() + share);
        else
          f.set_pledged(f.pledged() + share);
        f.add_event_ids(id);
      };
      for (const auto& [giver, receiver] : pairs) {
        Touch(giver, kAidGiven, FlowKey(receiver, aid.commodity(), aid.unit()));
        add(d.parties[giver].aid_given, receiver);
        if (receiver.empty()) continue;
        Touch(receiver, kAidReceived, FlowKey(giver, aid.commodity(), aid.unit()));
        add(d.parties[receiver].aid_received, giver);
      }
      break;
    }
    case v1::Move::kConcede:
      for (const std::string& a : actors) {
        Touch(a, kConcessions, id);
        d.parties[a].concessions.push_back(id);
      }
      break;
    case v1::Move::kSanction: {
      const v1::Sanction& s = move.sanction();
      const std::string& measure = s.measure();
      auto it = d.sanctions.find(measure);
      const bool exists = it != d.sanctions.end();
      Names imposers = exists ? ToNames(it->second.imposers()) : Names{};
      Names targets = exists ? ToNames(it->second.targets()) : Names{};
      Names touched_imposers = imposers, touched_targets = targets;
      if (s.action() == v1::SANCTION_ACTION_IMPOSE) {
        imposers.insert(actors.begin(), actors.end());
        targets.insert(recipients.begin(), recipients.end());
      } else if (s.action() == v1::SANCTION_ACTION_LIFT) {
        if (!exists) break;
        if (recipients.empty()) targets.clear();
        for (const std::string& r : recipients) targets.erase(r);
      } else {
        break;
      }
      const bool in_force = s.action() == v1::SANCTION_ACTION_IMPOSE || !targets.empty();
      touched_imposers.insert(imposers.begin(), imposers.end());
      touched_targets.insert(targets.begin(), targets.end());
      for (const std::string& p : touched_imposers) Touch(p, kSanctionsImposed, measure);
      for (const std::string& p : touched_targets) Touch(p, kSanctionsSuffered, measure);
      for (const std::string& p : touched_imposers) d.parties[p].sanctions_imposed.erase(measure);
      for (const std::string& p : touched_targets) d.parties[p].sanctions_suffered.erase(measure);
      if (!in_force) {
        d.sanctions.erase(measure);
        break;
      }
      v1::SanctionState& st = d.sanctions[measure];
      if (!exists) {
        st.set_measure(measure);
        *st.mutable_since() = event.occurred();
        st.set_event_id(id);
      }
      if (!s.description().empty() && s.action() == v1::SANCTION_ACTION_IMPOSE)
        st.set_description(s.description());
      SetList(st.mutable_imposers(), imposers);
      SetList(st.mutable_targets(), targets);
      for (const std::string& p : imposers) d.parties[p].sanctions_imposed.insert(measure);
      for (const std::string& p : targets) d.parties[p].sanctions_suffered.insert(measure);
      break;
    }
    case v1::Move::kForum: {
      const v1::ForumMembership& f = move.forum();
      for (const std::string& a : actors) {
        auto& forums = d.parties[a].forums;
        if (f.action() == v1::FORUM_ACTION_JOIN && !forums.contains(f.forum())) {
          Touch(a, kForums, f.forum());
          v1::ForumState& st = forums[f.forum()];
          st.set_forum(f.forum());
          *st.mutable_since() = event.occurred();
          st.set_event_id(id);
        } else if (f.action() == v1::FORUM_ACTION_LEAVE && forums.contains(f.forum())) {
          Touch(a, kForums, f.forum());
          forums.erase(f.forum());
        }
      }
      break;
    }
    case v1::Move::kConflict:
    case v1::Move::kCorrection:
    case v1::Move::KIND_NOT_SET:
      break;
  }
}

void FoldState::ApplyRelations(const v1::Event& event, const std::vector<std::string>& actors,
                               const std::vector<std::string>& recipients) {
  const v1::Move& move = event.move();
  // Unordered pairs, each once per event, whatever the lists repeat.
  std::set<std::pair<std::string, std::string>> pairs;
  auto add = [&pairs](const std::string& a, const std::string& b) {
    if (a != b) pairs.insert(a < b ? std::make_pair(a, b) : std::make_pair(b, a));
  };
  bool direct = false;
  if (move.has_consult()) {
    Names participants(actors.begin(), actors.end());
    participants.insert(recipients.begin(), recipients.end());
    for (const std::string& a : participants)
      for (const std::string& b : participants) add(a, b);
    switch (move.consult().kind()) {
      case v1::CONSULT_KIND_BILATERAL:
      case v1::CONSULT_KIND_SUMMIT:
      case v1::CONSULT_KIND_SECRET:
      case v1::CONSULT_KIND_PHONE:
        direct = true;
        break;
      default:
        break;
    }
  } else {
    for (const std::string& a : actors)
      for (const std::string& r : recipients) add(a, r);
  }
  if (pairs.empty()) return;
  const MoveWeight w = EffectiveWeight(move);
  auto update = [&](const std::string& self, const std::string& other) {
    Touch(self, kRelations, other);
    v1::Relation& rel = d_->parties[self].relations[other];
    rel.set_counterpart(other);
    rel.set_score(rel.score() + w.weight);
    if (rel.quad_counts_size() != 4) rel.mutable_quad_counts()->Resize(4, 0);
    if (w.quad >= 1 && w.quad <= 4)
      rel.set_quad_counts(w.quad - 1, rel.quad_counts(w.quad - 1) + 1);
    *rel.mutable_last_contact() = event.occurred();
    rel.set_last_event_id(event.id());
    if (direct) rel.set_direct_channel(true);
    rel.set_events(rel.events() + 1);
  };
  for (const auto& [a, b] : pairs) {
    update(a, b);
    update(b, a);
  }
}

std::unique_ptr<google::protobuf::Message> FoldState::Item(const std::string& party, int field,
                                                           const std::string& key) const {
  auto pit = d_->parties.find(party);
  if (pit == d_->parties.end()) return nullptr;
  const PartyWork& p = pit->second;
  auto from_map = [&key](const auto& map) -> std::unique_ptr<google::protobuf::Message> {
    auto it = map.find(key);
    if (it == map.end()) return nullptr;
    return std::make_unique<std::decay_t<decltype(it->second)>>(it->second);
  };
  auto offer = [&](const Names& ids) -> std::unique_ptr<google::protobuf::Message> {
    if (!ids.contains(key)) return nullptr;
    return std::make_unique<v1::Offer>(d_->offers.at(key));
  };
  auto flow =
      [&key](
          const std::map<FlowId, v1::Flow>& flows) -> std::unique_ptr<google::protobuf::Message> {
    for (const auto& [id, f] : flows)
      if (FlowKey(id.counterpart, id.commodity, id.unit) == key)
        return std::make_unique<v1::Flow>(f);
    return nullptr;
  };
  auto sanction = [&](const Names& measures) -> std::unique_ptr<google::protobuf::Message> {
    if (!measures.contains(key)) return nullptr;
    return std::make_unique<v1::SanctionState>(d_->sanctions.at(key));
  };
  switch (field) {
    case kPositions:
      return from_map(p.positions);
    case kDemandsMade:
      return offer(p.demands_made);
    case kDemandsFaced:
      return offer(p.demands_faced);
    case kProposalsMade:
      return offer(p.proposals_made);
    case kProposalsReceived:
      return offer(p.proposals_received);
    case kAgreements:
      return d_->Agreement(party, key);
    case kAidGiven:
      return flow(p.aid_given);
    case kAidReceived:
      return flow(p.aid_received);
    case kSanctionsImposed:
      return sanction(p.sanctions_imposed);
    case kSanctionsSuffered:
      return sanction(p.sanctions_suffered);
    case kRelations:
      return from_map(p.relations);
    case kForums:
      return from_map(p.forums);
    case kConcessions: {
      if (std::find(p.concessions.begin(), p.concessions.end(), key) == p.concessions.end())
        return nullptr;
      auto v = std::make_unique<google::protobuf::StringValue>();
      v->set_value(key);
      return v;
    }
    default:
      return nullptr;
  }
}

namespace {

// Hands `from` to `to`: a copy while others still read it, else a move.
template <typename From, typename To>
void Give(From& from, To* to, bool last) {
  if constexpr (std::is_const_v<From>) {
    *to = from;
  } else if (last) {
    *to = std::move(from);
  } else {
    *to = from;
  }
}

}  // namespace

template <typename D>
v1::ScenarioState FoldState::Build(D& d, const std::vector<std::string>& only) {
  constexpr bool kTake = !std::is_const_v<D>;
  using Offer = std::conditional_t<kTake, v1::Offer, const v1::Offer>;
  using Sanction = std::conditional_t<kTake, v1::SanctionState, const v1::SanctionState>;
  using Party = std::conditional_t<kTake, PartyWork, const PartyWork>;
  // Offers and sanctions are shared by several parties' lists: resolved
  // once, and (when taking) counted so that the last list to show one gets
  // it by move.
  struct Shared {
    std::vector<Offer*> offers[4];
    std::vector<Sanction*> sanctions[2];
  };
  struct Wanted {
    const std::string* code;
    Party* party;
    Shared shared;
    size_t items = 0;  // list entries, to split the work
  };
  std::vector<Wanted> parties;
  size_t total = 0;
  for (auto& [code, p] : d.parties) {
    if (!only.empty() && std::find(only.begin(), only.end(), code) == only.end()) continue;
    Wanted& w = parties.emplace_back(Wanted{&code, &p, {}, 0});
    auto resolve = [&w](auto& items, const Names& keys, auto* out) {
      out->reserve(keys.size());
      for (const std::string& k : keys) out->push_back(&items.at(k));
      w.items += keys.size();
    };
    const FieldSet& f = d.fields;
    if (f.Has(kDemandsMade)) resolve(d.offers, p.demands_made, &w.shared.offers[0]);
    if (f.Has(kDemandsFaced)) resolve(d.offers, p.demands_faced, &w.shared.offers[1]);
    if (f.Has(kProposalsMade)) resolve(d.offers, p.proposals_made, &w.shared.offers[2]);
    if (f.Has(kProposalsReceived)) resolve(d.offers, p.proposals_received, &w.shared.offers[3]);
    if (f.Has(kSanctionsImposed)) resolve(d.sanctions, p.sanctions_imposed, &w.shared.sanctions[0]);
    if (f.Has(kSanctionsSuffered))
      resolve(d.sanctions, p.sanctions_suffered, &w.shared.sanctions[1]);
    // Lists outside the folded set are empty; folded ones not asked for are
    // skipped below.
    auto shown = [&f](int field, size_t n) { return f.Has(field) ? n : 0; };
    w.items += shown(kPositions, p.positions.size()) + shown(kAgreements, p.agreements.size()) +
               shown(kAidGiven, p.aid_given.size()) + shown(kAidReceived, p.aid_received.size()) +
               shown(kRelations, p.relations.size()) + shown(kForums, p.forums.size()) +
               shown(kConcessions, p.concessions.size());
    total += w.items;
  }

  // A large state is built in two halves of the parties, the second on its
  // own thread (a 300k-event replay spent a tenth of its time here on one
  // core). An item shown in one half's lists only moves on its last use
  // there; one shown in both is only read while the threads run.
  size_t split = parties.size();
  if (total >= kParallelBuildItems && parties.size() > 1) {
    size_t sum = 0;
    for (split = 0; split + 1 < parties.size() && sum + parties[split].items <= total / 2; ++split)
      sum += parties[split].items;
    split = std::max<size_t>(split, 1);
  }
  absl::flat_hash_map<const void*, uint32_t> uses[2];
  absl::flat_hash_set<const void*> in_both;
  if constexpr (kTake) {
    for (size_t i = 0; i < parties.size(); ++i) {
      auto& count = uses[i < split ? 0 : 1];
      for (const auto& list : parties[i].shared.offers)
        for (const void* item : list) ++count[item];
      for (const auto& list : parties[i].shared.sanctions)
        for (const void* item : list) ++count[item];
    }
    for (const auto& [item, n] : uses[1])
      if (uses[0].contains(item)) in_both.insert(item);
  }

  // An item shown in both halves is copied by both threads except into its
  // last list in the second half, which it moves into once both are done: no
  // more copies than one thread makes, so no more memory at the peak.
  std::vector<std::pair<Offer*, v1::Offer*>> late_offers;
  std::vector<std::pair<Sanction*, v1::SanctionState*>> late_sanctions;
  auto build = [&](size_t from, size_t to, int half,
                   google::protobuf::RepeatedPtrField<v1::PartyState>* out) {
    auto give_shared = [&](auto* item, auto* into) {
      if constexpr (kTake) {
        if (!in_both.contains(item)) {
          Give(*item, into, --uses[half].find(item)->second == 0);
        } else if (half == 1 && --uses[1].find(item)->second == 0) {
          if constexpr (std::is_same_v<std::remove_pointer_t<decltype(into)>, v1::Offer>) {
            late_offers.emplace_back(item, into);
          } else {
            late_sanctions.emplace_back(item, into);
          }
        } else {
          Give(*item, into, false);
        }
      } else {
        Give(*item, into, false);
      }
    };
    out->Reserve(static_cast<int>(to - from));
    for (size_t i = from; i < to; ++i) {
      Party& p = *parties[i].party;
      const Shared& s = parties[i].shared;
      v1::PartyState* ps = out->Add();
      ps->set_party(*parties[i].code);
      const FieldSet& f = d.fields;
      if (f.Has(kPositions))
        for (auto& [issue, pos] : p.positions) Give(pos, ps->add_positions(), true);
      for (Offer* o : s.offers[0]) give_shared(o, ps->add_demands_made());
      for (Offer* o : s.offers[1]) give_shared(o, ps->add_demands_faced());
      for (Offer* o : s.offers[2]) give_shared(o, ps->add_proposals_made());
      for (Offer* o : s.offers[3]) give_shared(o, ps->add_proposals_received());
      if (f.Has(kAgreements)) {
        for (auto& [key, own] : p.agreements) {
          v1::AgreementState* a = ps->add_agreements();
          Give(own, a, true);
          if (auto info = d.agreements.find(key); info != d.agreements.end()) {
            a->set_title(info->second.title);
            *a->mutable_terms() = info->second.terms;
            SetList(a->mutable_parties(), info->second.parties);
          }
        }
      }
      if (f.Has(kAidGiven))
        for (auto& [id, flow] : p.aid_given) Give(flow, ps->add_aid_given(), true);
      if (f.Has(kAidReceived))
        for (auto& [id, flow] : p.aid_received) Give(flow, ps->add_aid_received(), true);
      for (Sanction* m : s.sanctions[0]) give_shared(m, ps->add_sanctions_imposed());
      for (Sanction* m : s.sanctions[1]) give_shared(m, ps->add_sanctions_suffered());
      if (f.Has(kRelations))
        for (auto& [other, rel] : p.relations) Give(rel, ps->add_relations(), true);
      if (f.Has(kForums))
        for (auto& [forum, st] : p.forums) Give(st, ps->add_forums(), true);
      if (!f.Has(kConcessions)) continue;
      for (auto& id : p.concessions) {
        if constexpr (kTake) {
          ps->add_concessions(std::move(id));
        } else {
          ps->add_concessions(id);
        }
      }
    }
  };

  v1::ScenarioState out;
  out.set_events_applied(d.events_applied);
  out.set_last_seq(d.last_seq);
  google::protobuf::RepeatedPtrField<v1::PartyState> second;
  std::thread helper;
  if (split < parties.size())
    helper = std::thread([&] { build(split, parties.size(), 1, &second); });
  build(0, split, 0, out.mutable_parties());
  if (helper.joinable()) helper.join();
  for (auto& [item, into] : late_offers) Give(*item, into, true);
  for (auto& [item, into] : late_sanctions) Give(*item, into, true);
  // The second half's messages move over as they are (no arena: pointers).
  std::vector<v1::PartyState*> taken(static_cast<size_t>(second.size()));
  second.ExtractSubrange(0, second.size(), taken.data());
  for (v1::PartyState* ps : taken) out.mutable_parties()->AddAllocated(ps);
  return out;
}

void FoldState::AppendProtoField(int field_number, std::string* out) const {
  using google::protobuf::io::CodedOutputStream;
  using WFL = google::protobuf::internal::WireFormatLite;
  const Data& d = *d_;
  // Every list of every party, resolved and sized first: the lengths come
  // before the bytes. ByteSizeLong caches each item's size for the write.
  struct Party {
    const std::string* code;
    std::vector<std::pair<int, const google::protobuf::MessageLite*>> items;
    std::vector<std::unique_ptr<v1::AgreementState>> agreements;  // own + shared part
    const std::vector<std::string>* concessions;
    size_t size = 0;
  };
  std::vector<Party> parties;
  parties.reserve(d.parties.size());
  // An agreement's shared part (title, terms, parties) is written with the
  // first party that lists it only: every party of it lists it, and it made
  // up two thirds of a bounded-lists snapshot on a long branch.
  absl::flat_hash_set<std::string_view> shared_written;
  size_t state_size = 0;
  if (d.events_applied) state_size += 1 + CodedOutputStream::VarintSize64(d.events_applied);
  if (d.last_seq) state_size += 1 + CodedOutputStream::VarintSize64(d.last_seq);
  for (const auto& [code, p] : d.parties) {
    Party& party = parties.emplace_back();
    party.code = &code;
    party.concessions = &p.concessions;
    auto add = [&party](int field, const google::protobuf::MessageLite& item) {
      party.items.emplace_back(field, &item);
      party.size +=
          WFL::TagSize(field, WFL::TYPE_MESSAGE) + WFL::LengthDelimitedSize(item.ByteSizeLong());
    };
    for (const auto& [issue, pos] : p.positions) add(kPositions, pos);
    for (const std::string& id : p.demands_made) add(kDemandsMade, d.offers.at(id));
    for (const std::string& id : p.demands_faced) add(kDemandsFaced, d.offers.at(id));
    for (const std::string& id : p.proposals_made) add(kProposalsMade, d.offers.at(id));
    for (const std::string& id : p.proposals_received) add(kProposalsReceived, d.offers.at(id));
    for (const auto& [key, own] : p.agreements) {
      if (shared_written.insert(key).second) {
        add(kAgreements, *party.agreements.emplace_back(d.Agreement(code, key)));
      } else {
        add(kAgreements, own);
      }
    }
    for (const auto& [id, f] : p.aid_given) add(kAidGiven, f);
    for (const auto& [id, f] : p.aid_received) add(kAidReceived, f);
    for (const std::string& m : p.sanctions_imposed) add(kSanctionsImposed, d.sanctions.at(m));
    for (const std::string& m : p.sanctions_suffered) add(kSanctionsSuffered, d.sanctions.at(m));
    for (const auto& [other, rel] : p.relations) add(kRelations, rel);
    for (const auto& [forum, f] : p.forums) add(kForums, f);
    for (const std::string& id : p.concessions)
      party.size +=
          WFL::TagSize(kConcessions, WFL::TYPE_STRING) + WFL::LengthDelimitedSize(id.size());
    if (!code.empty())
      party.size += WFL::TagSize(v1::PartyState::kPartyFieldNumber, WFL::TYPE_STRING) +
                    WFL::LengthDelimitedSize(code.size());
    state_size += WFL::TagSize(v1::ScenarioState::kPartiesFieldNumber, WFL::TYPE_MESSAGE) +
                  WFL::LengthDelimitedSize(party.size);
  }

  out->reserve(out->size() + WFL::TagSize(field_number, WFL::TYPE_MESSAGE) +
               WFL::LengthDelimitedSize(state_size));
  google::protobuf::io::StringOutputStream stream(out);
  CodedOutputStream cos(&stream);
  cos.SetSerializationDeterministic(true);
  // Field by field in number order, as protobuf's serializer writes them.
  WFL::WriteTag(field_number, WFL::WIRETYPE_LENGTH_DELIMITED, &cos);
  cos.WriteVarint32(static_cast<uint32_t>(state_size));
  if (d.events_applied)
    WFL::WriteUInt64(v1::ScenarioState::kEventsAppliedFieldNumber, d.events_applied, &cos);
  if (d.last_seq) WFL::WriteUInt64(v1::ScenarioState::kLastSeqFieldNumber, d.last_seq, &cos);
  for (const Party& p : parties) {
    WFL::WriteTag(v1::ScenarioState::kPartiesFieldNumber, WFL::WIRETYPE_LENGTH_DELIMITED, &cos);
    cos.WriteVarint32(static_cast<uint32_t>(p.size));
    if (!p.code->empty()) WFL::WriteString(v1::PartyState::kPartyFieldNumber, *p.code, &cos);
    for (const auto& [field, item] : p.items) WFL::WriteMessage(field, *item, &cos);
    for (const std::string& id : *p.concessions) WFL::WriteString(kConcessions, id, &cos);
  }
}

v1::ScenarioState FoldState::ToProto(const std::vector<std::string>& only) const {
  return Build(std::as_const(*d_), only);
}

v1::ScenarioState FoldState::TakeProto(const std::vector<std::string>& only) && {
  v1::ScenarioState out = Build(*d_, only);
  d_ = std::make_unique<Data>();
  return out;
}

FoldState FoldState::FromProto(v1::ScenarioState state, uint32_t month_end_max,
                               uint32_t year_end_max, FieldSet fields) {
  // Every item moves out of `state`.
  FoldState s;
  Data& d = *s.d_;
  d.fields = fields;
  d.folded = fields.Folded();
  d.events_applied = state.events_applied();
  d.last_seq = state.last_seq();
  d.month_end_max = month_end_max;
  d.year_end_max = year_end_max;
  for (v1::PartyState& ps : *state.mutable_parties()) {
    PartyWork& p = d.parties[ps.party()];
    // Lists come sorted by their keys: each insert is hinted at the end.
    for (v1::Position& pos : *ps.mutable_positions())
      p.positions.try_emplace(p.positions.end(), pos.issue())->second = std::move(pos);
    // Offers and sanctions: the party lists their keys; the item itself is
    // shared, its first copy kept.
    auto shared = [](auto* list, Names* keys, auto* items, auto key_of) {
      for (auto& item : *list) {
        keys->insert(keys->end(), key_of(item));
        auto [it, fresh] = items->try_emplace(key_of(item));
        if (fresh) it->second = std::move(item);
      }
    };
    auto offer_id = [](const v1::Offer& o) -> const std::string& { return o.event_id(); };
    shared(ps.mutable_demands_made(), &p.demands_made, &d.offers, offer_id);
    shared(ps.mutable_demands_faced(), &p.demands_faced, &d.offers, offer_id);
    shared(ps.mutable_proposals_made(), &p.proposals_made, &d.offers, offer_id);
    shared(ps.mutable_proposals_received(), &p.proposals_received, &d.offers, offer_id);
    for (v1::AgreementState& a : *ps.mutable_agreements()) {
      // The shared part comes with the first party that lists it.
      auto [it, fresh] = d.agreements.try_emplace(a.agreement());
      if (fresh) {
        AgreementInfo& info = it->second;
        info.title = std::move(*a.mutable_title());
        info.terms = std::move(*a.mutable_terms());
        info.parties = ToNames(a.parties());
      }
      a.clear_title();
      a.clear_terms();
      a.clear_parties();
      p.agreements.try_emplace(p.agreements.end(), a.agreement())->second = std::move(a);
    }
    for (v1::Flow& f : *ps.mutable_aid_given())
      p.aid_given.try_emplace(p.aid_given.end(), FlowId{f.counterpart(), f.commodity(), f.unit()})
          ->second = std::move(f);
    for (v1::Flow& f : *ps.mutable_aid_received())
      p.aid_received
          .try_emplace(p.aid_received.end(), FlowId{f.counterpart(), f.commodity(), f.unit()})
          ->second = std::move(f);
    auto measure = [](const v1::SanctionState& st) -> const std::string& { return st.measure(); };
    shared(ps.mutable_sanctions_imposed(), &p.sanctions_imposed, &d.sanctions, measure);
    shared(ps.mutable_sanctions_suffered(), &p.sanctions_suffered, &d.sanctions, measure);
    for (v1::Relation& r : *ps.mutable_relations())
      p.relations.try_emplace(p.relations.end(), r.counterpart())->second = std::move(r);
    for (v1::ForumState& f : *ps.mutable_forums())
      p.forums.try_emplace(p.forums.end(), f.forum())->second = std::move(f);
    for (std::string& id : *ps.mutable_concessions()) p.concessions.push_back(std::move(id));
  }
  return s;
}

// ---- Journal -----------------------------------------------------------------

struct Journal::Entries {
  using Key = std::tuple<std::string, int, std::string>;
  std::map<Key, std::unique_ptr<google::protobuf::Message>> before;
};

Journal::Journal() : entries_(std::make_unique<Entries>()) {}
Journal::~Journal() = default;

void Journal::Begin() { entries_->before.clear(); }

void Journal::Record(const FoldState& state, const std::string& party, int field,
                     const std::string& key) {
  Entries::Key k{party, field, key};
  if (entries_->before.contains(k)) return;
  entries_->before.emplace(std::move(k), state.Item(party, field, key));
}

std::vector<v1::FieldChange> Journal::Finish(const FoldState& state, const std::string& event_id) {
  std::vector<v1::FieldChange> changes;
  for (const auto& [k, before] : entries_->before) {
    const auto& [party, field, key] = k;
    std::unique_ptr<google::protobuf::Message> after = state.Item(party, field, key);
    if (before == nullptr && after == nullptr) continue;
    if (before != nullptr && after != nullptr && ItemBytes(*before) == ItemBytes(*after)) continue;
    changes.push_back(MakeChange(party, field, key, before.get(), after.get(), {event_id}));
  }
  entries_->before.clear();
  return changes;
}

}  // namespace demarche::replay
