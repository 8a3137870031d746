#include "gateway/http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace farmgate::http {
namespace {

// A handler that answers with its own name, so a test can see which route matched.
Handler Named(std::string name) {
  return [name](const Request&) { return Response::text(name); };
}

std::string Call(const Router::Match& m) {
  if (m.target == nullptr) return "<none>";
  const auto* h = std::get_if<Handler>(m.target);
  return h ? (*h)(Request{}).body : "<async>";
}

TEST(RouterTest, MatchesLiteralPaths) {
  Router r;
  r.add(Verb::get, "/healthz", Named("healthz"));
  r.add(Verb::get, "/metrics", Named("metrics"));
  r.add(Verb::get, "/", Named("root"));
  EXPECT_EQ(Call(r.match(Verb::get, {"healthz"})), "healthz");
  EXPECT_EQ(Call(r.match(Verb::get, {"metrics"})), "metrics");
  EXPECT_EQ(Call(r.match(Verb::get, {})), "root");
}

TEST(RouterTest, UnknownPathHasNoAllowedVerbs) {
  Router r;
  r.add(Verb::get, "/healthz", Named("healthz"));
  const auto m = r.match(Verb::get, {"healthz", ""});  // "/healthz/" is another path
  EXPECT_EQ(m.target, nullptr);
  EXPECT_TRUE(m.allowed.empty());
}

TEST(RouterTest, ParametersCaptureOneNonEmptySegment) {
  Router r;
  r.add(Verb::get, "/api/v1/zones/{zone}/runs", Named("runs"));
  const auto m = r.match(Verb::get, {"api", "v1", "zones", "z 1", "runs"});
  EXPECT_EQ(Call(m), "runs");
  EXPECT_EQ(m.params.at("zone"), "z 1");
  EXPECT_EQ(r.match(Verb::get, {"api", "v1", "zones", "", "runs"}).target, nullptr);
  EXPECT_EQ(r.match(Verb::get, {"api", "v1", "zones", "z1"}).target, nullptr);
}

TEST(RouterTest, LiteralBeatsParameterWhateverTheOrder) {
  Router r;
  r.add(Verb::get, "/zones/{zone}", Named("zone"));
  r.add(Verb::get, "/zones/summary", Named("summary"));
  r.add(Verb::get, "/{any}/first", Named("any-first"));
  r.add(Verb::get, "/zones/{zone}/first", Named("zone-first"));
  EXPECT_EQ(Call(r.match(Verb::get, {"zones", "summary"})), "summary");
  EXPECT_EQ(Call(r.match(Verb::get, {"zones", "z1"})), "zone");
  EXPECT_EQ(Call(r.match(Verb::get, {"zones", "first", "first"})), "zone-first");
  EXPECT_EQ(Call(r.match(Verb::get, {"lots", "first"})), "any-first");
}

TEST(RouterTest, WrongVerbListsTheAllowedOnes) {
  Router r;
  r.add(Verb::get, "/zones/{zone}", Named("get"));
  r.add(Verb::put, "/zones/{id}", Named("put"));
  const auto m = r.match(Verb::delete_, {"zones", "z1"});
  EXPECT_EQ(m.target, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<Verb>{Verb::get, Verb::head, Verb::put}));
  // Each verb's own parameter names apply.
  EXPECT_EQ(r.match(Verb::put, {"zones", "z1"}).params.at("id"), "z1");
}

TEST(RouterTest, VerbFoundOnALessSpecificRouteStillMatches) {
  Router r;
  r.add(Verb::get, "/zones/new", Named("new-form"));
  r.add(Verb::post, "/zones/{zone}", Named("post-zone"));
  EXPECT_EQ(Call(r.match(Verb::post, {"zones", "new"})), "post-zone");
}

TEST(RouterTest, HeadFallsBackToGet) {
  Router r;
  r.add(Verb::get, "/metrics", Named("metrics"));
  EXPECT_EQ(Call(r.match(Verb::head, {"metrics"})), "metrics");
  r.add(Verb::head, "/metrics", Named("head"));
  EXPECT_EQ(Call(r.match(Verb::head, {"metrics"})), "head");
}

TEST(RouterTest, AsyncTargetsAreKeptAsSuch) {
  Router r;
  r.add(Verb::get, "/history", AsyncHandler([](const Request&, Responder) {}));
  EXPECT_EQ(Call(r.match(Verb::get, {"history"})), "<async>");
}

TEST(RouterTest, MalformedOrDuplicatePatternsAreProgrammingErrors) {
  Router r;
  r.add(Verb::get, "/zones/{zone}", Named("a"));
  EXPECT_THROW(r.add(Verb::get, "/zones/{zone}", Named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::get, "/zones/{other}", Named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::get, "zones", Named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::get, "", Named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::get, "/a/{}", Named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::get, "/a/{x}/{x}", Named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::get, "/a/x{y}", Named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::get, "/a/{y{z}}", Named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::other, "/a", Named("b")), std::invalid_argument);
}

TEST(RequestTest, HeaderLookupIgnoresCase) {
  Request req;
  req.headers = {{"Content-Type", "application/json"}, {"X-Zone", "z1"}};
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("X-ZONE"), "z1");
  EXPECT_EQ(req.header("Accept"), "");
}

TEST(ResponseTest, ErrorBodyIsJsonWithCodeAndReason) {
  const Response r = Response::error(404, "not_found", "no \"lot\" here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error":"not_found","reason":"no \"lot\" here"})");
}

TEST(ResponderTest, OnlyTheFirstCallIsDelivered) {
  int delivered = 0;
  Responder respond([&](Response) { ++delivered; });
  Responder copy = respond;
  respond(Response{});
  copy(Response{});
  EXPECT_EQ(delivered, 1);
}

}  // namespace
}  // namespace farmgate::http
