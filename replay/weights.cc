#include "replay/weights.h"

namespace demarche::replay {
namespace {

int RootOf(std::string_view cameo) {
  if (cameo.size() < 2 || cameo[0] < '0' || cameo[0] > '9' || cameo[1] < '0' || cameo[1] > '9')
    return 0;
  const int root = (cameo[0] - '0') * 10 + (cameo[1] - '0');
  return root >= 1 && root <= 20 ? root : 0;
}

MoveWeight Code(std::string cameo) {
  MoveWeight w;
  w.weight = GoldsteinOf(cameo).value_or(0.0);
  w.quad = QuadOf(cameo);
  w.cameo = std::move(cameo);
  return w;
}

}  // namespace

std::optional<double> GoldsteinOf(std::string_view cameo) {
  struct Fine {
    std::string_view code;
    double weight;
  };
  static constexpr Fine kFine[] = {{"036", 4.0}, {"042", 1.9}, {"043", 2.8}, {"044", 2.5},
                                   {"045", 5.0}, {"046", 7.0}, {"057", 8.0}};
  for (const Fine& f : kFine)
    if (f.code == cameo) return f.weight;
  static constexpr double kRoot[] = {0.0,  3.0,  4.0,  1.0,  3.5,  6.0,  7.0,  5.0,  -2.0,  -5.0,
                                     -2.0, -4.0, -6.0, -6.5, -7.2, -4.0, -7.0, -9.0, -10.0, -10.0};
  const int root = RootOf(cameo);
  if (root == 0) return std::nullopt;
  return kRoot[root - 1];
}

int QuadOf(std::string_view cameo) {
  const int root = RootOf(cameo);
  if (root == 0) return 0;
  if (root <= 5) return 1;
  if (root <= 8) return 2;
  if (root <= 13) return 3;
  return 4;
}

MoveWeight DefaultWeight(const v1::Move& move) {
  switch (move.kind_case()) {
    case v1::Move::kStatement:
      return Code("01");
    case v1::Move::kDemand:
      return Code("10");
    case v1::Move::kProposal:
      return Code("03");
    case v1::Move::kResponse:
      switch (move.response().kind()) {
        case v1::RESPONSE_KIND_ACCEPT:
          return Code("05");
        case v1::RESPONSE_KIND_REJECT:
          return Code("12");
        default:
          return Code("01");  // a withdrawal is neither warm nor hostile
      }
    case v1::Move::kAgreement:
      return Code(move.agreement().action() == v1::AGREEMENT_ACTION_SIGN ? "057" : "16");
    case v1::Move::kConsult:
      return Code("04");
    case v1::Move::kAid:
      return Code(move.aid().action() == v1::AID_ACTION_DELIVERY ? "07" : "03");
    case v1::Move::kConcede:
      return Code("08");
    case v1::Move::kSanction:
      return Code(move.sanction().action() == v1::SANCTION_ACTION_LIFT ? "08" : "16");
    case v1::Move::kForum:
      return Code(move.forum().action() == v1::FORUM_ACTION_LEAVE ? "16" : "05");
    case v1::Move::kConflict:
      switch (move.conflict().kind()) {
        case v1::CONFLICT_KIND_THREATEN:
          return Code("13");
        case v1::CONFLICT_KIND_PROTEST:
          return Code("14");
        case v1::CONFLICT_KIND_MOBILIZE:
          return Code("15");
        case v1::CONFLICT_KIND_COERCE:
          return Code("17");
        case v1::CONFLICT_KIND_ASSAULT:
          return Code("18");
        default:
          return Code("11");  // accuse
      }
    case v1::Move::kCorrection:
    case v1::Move::KIND_NOT_SET:
      break;
  }
  return MoveWeight{};
}

MoveWeight EffectiveWeight(const v1::Move& move) {
  MoveWeight w = DefaultWeight(move);
  if (!move.cameo_code().empty()) {
    if (QuadOf(move.cameo_code()) != 0) {
      w.quad = QuadOf(move.cameo_code());
      w.weight = GoldsteinOf(move.cameo_code()).value_or(w.weight);
    }
    w.cameo = move.cameo_code();
  }
  if (move.has_weight()) w.weight = move.weight();
  return w;
}

}  // namespace demarche::replay
