// STUB: replaced by the striae implementation.
#include "metrics/families.h"
namespace skintrack::metrics::internal {
Status MeasureStriae(const Context&, const MetricsOptions&, StriaeMetrics* out, std::vector<Line>*) {
  *out = StriaeMetrics();
  return Status::Ok();
}

}  // namespace skintrack::metrics::internal
