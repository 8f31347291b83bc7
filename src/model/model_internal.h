/* Shared between model.c (model files) and model_train.c (training): the
 * metrics object both write into JSON. Not a public interface. */
#ifndef WATTPROF_MODEL_INTERNAL_H
#define WATTPROF_MODEL_INTERNAL_H

#include <jansson.h>

#include "wattprof/model.h"

json_t *wp__metrics_json(const wp_metrics *m);

#endif
