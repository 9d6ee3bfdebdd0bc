// recur: recurrent neural networks on Eigen. The one header users include for cells, layers,
// training and model files; the time-series module is recur/series/*.hpp.
#pragma once

#include "recur/core/activation.hpp"
#include "recur/core/batch.hpp"
#include "recur/core/denormals.hpp"
#include "recur/core/error.hpp"
#include "recur/core/init.hpp"
#include "recur/core/param.hpp"
#include "recur/core/rng.hpp"
#include "recur/core/types.hpp"

#include "recur/cell/elman.hpp"
#include "recur/cell/gru.hpp"
#include "recur/cell/lstm.hpp"
#include "recur/cell/streaming_cell.hpp"

#include "recur/layer/dense.hpp"
#include "recur/layer/dropout.hpp"
#include "recur/layer/embedding.hpp"
#include "recur/layer/pooling.hpp"
#include "recur/layer/recurrent.hpp"
#include "recur/layer/sequential.hpp"
#include "recur/layer/stack.hpp"

#include "recur/train/averaging.hpp"
#include "recur/train/checkpoint.hpp"
#include "recur/train/clip.hpp"
#include "recur/train/gradient_check.hpp"
#include "recur/train/loss.hpp"
#include "recur/train/optimizer.hpp"
#include "recur/train/regularization.hpp"

#include "recur/io/atomic_file.hpp"
#include "recur/io/model_file.hpp"
#include "recur/io/safetensors.hpp"
