// gradpath's MPI communicator: a thin Node-API addon over standard MPI calls (Open MPI 4.1 or MPICH).
//
// Every operation works in place on the memory of a Float32Array (no copies; views into shared
// WebAssembly memory included) and answers a promise. The blocking MPI call runs on the
// communicator's one FIFO communication thread ("lane"): collectives must be issued in the same
// order on every rank, and one thread running them one after another keeps that order (several
// blocking collectives in flight on a thread pool gave MPI_ERR_TRUNCATE or crashes). With
// MPI_THREAD_MULTIPLE each communicator has its own lane; with only MPI_THREAD_SERIALIZED they
// all share one, so that no two threads are ever inside MPI at once.
//
// Built by `gradpath dist build` (src/dist/build.ts): mpicxx -shared, never by npm install.
#include "lane.h"

namespace {

struct CommInit {
  MPI_Comm comm;
  int rank, size;
};

float* Floats(const Napi::Value& v, const char* name, int64_t* n) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a Float32Array");
  }
  auto a = v.As<Napi::Float32Array>();
  *n = static_cast<int64_t>(a.ElementLength());
  return a.Data();
}

int Int(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

// Calls f(offset, count) for consecutive chunks of at most g_chunk elements; stops at the first error.
template <typename F>
std::string Chunks(int64_t n, F f) {
  for (int64_t off = 0; off < n; off += g_chunk) {
    std::string err = f(off, static_cast<int>(std::min(g_chunk, n - off)));
    if (!err.empty()) return err;
  }
  return "";
}

void Divide(float* p, int64_t n, int size) {
  const float d = static_cast<float>(size);
  for (int64_t i = 0; i < n; i++) p[i] /= d;
}

class Comm : public Napi::ObjectWrap<Comm> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Communicator",
                       {
                           InstanceAccessor<&Comm::Rank>("rank"),
                           InstanceAccessor<&Comm::Size>("size"),
                           InstanceMethod<&Comm::AllReduce>("allReduce"),
                           InstanceMethod<&Comm::ReduceScatter>("reduceScatter"),
                           InstanceMethod<&Comm::AllGather>("allGather"),
                           InstanceMethod<&Comm::Broadcast>("broadcast"),
                           InstanceMethod<&Comm::Send>("send"),
                           InstanceMethod<&Comm::Recv>("recv"),
                           InstanceMethod<&Comm::SendRecv>("sendRecv"),
                           InstanceMethod<&Comm::Barrier>("barrier"),
                           InstanceMethod<&Comm::Split>("split"),
                           InstanceMethod<&Comm::Free>("free"),
                           InstanceMethod<&Comm::TimeCollective>("timeCollective"),
                           InstanceMethod<&Comm::LastJob>("lastJob"),
                           InstanceMethod<&Comm::Finished>("finished"),
                           InstanceMethod<&Comm::Wait>("wait"),
                       });
  }

  // new Communicator(External<CommInit>): only the addon makes these.
  explicit Comm(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Comm>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), "communicators come from world() and split()");
    }
    const CommInit* init = info[0].As<Napi::External<CommInit>>().Data();
    comm_ = init->comm;
    rank_ = init->rank;
    size_ = init->size;
    lane_ = NewLane(info.Env());
  }

 private:
  Napi::Value Rank(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), rank_); }
  Napi::Value Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), size_); }
  Napi::Value LastJob(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(last_)); }
  Napi::Value Finished(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(lane_->Finished()));
  }

  // wait(seq, seconds): blocks until this communicator's job seq has run; false on timeout.
  Napi::Value Wait(const Napi::CallbackInfo& info) {
    const double seq = info[0].As<Napi::Number>().DoubleValue();
    const double seconds = info[1].As<Napi::Number>().DoubleValue();
    return Napi::Boolean::New(info.Env(), lane_->WaitFor(static_cast<uint64_t>(seq), seconds));
  }

  Napi::Value Queue(Napi::Env env, Job* job) {
    if (g_finalized || comm_ == MPI_COMM_NULL) {
      delete job;
      throw Napi::Error::New(env, g_finalized ? "MPI is finalized" : "this communicator was freed");
    }
    auto promise = job->deferred.Promise();
    last_ = lane_->Submit(env, job);
    return promise;
  }

  // allReduce(buf, average): in place, sum (or mean) over the ranks.
  Napi::Value AllReduce(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; float* p; int64_t n; bool avg; int size;
      std::string Run() override {
        std::string err = Chunks(n, [&](int64_t off, int k) {
          MPI_TRY("MPI_Allreduce", MPI_Allreduce(MPI_IN_PLACE, p + off, k, MPI_FLOAT, MPI_SUM, comm));
          return std::string();
        });
        if (err.empty() && avg) Divide(p, n, size);
        return err;
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->p = Floats(info[0], "buffer", &j->n);
    j->Keep(info[0]);
    j->avg = info[1].ToBoolean();
    j->comm = comm_;
    j->size = size_;
    return Queue(info.Env(), j.release());
  }

  // reduceScatter(input (size*n), output (n), average): rank r gets the sum of every rank's block r.
  Napi::Value ReduceScatter(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; const float* in; float* out; int64_t n; bool avg; int rank, size;
      std::string Run() override {
        if (n <= g_chunk) {
          MPI_TRY("MPI_Reduce_scatter_block",
                  MPI_Reduce_scatter_block(in, out, static_cast<int>(n), MPI_FLOAT, MPI_SUM, comm));
        } else {
          // Block r is reduced onto rank r, chunk by chunk.
          for (int r = 0; r < size; r++) {
            std::string err = Chunks(n, [&](int64_t off, int k) {
              MPI_TRY("MPI_Reduce", MPI_Reduce(in + r * n + off, out + off, k, MPI_FLOAT, MPI_SUM, r, comm));
              return std::string();
            });
            if (!err.empty()) return err;
          }
        }
        if (avg) Divide(out, n, size);
        return "";
      }
    };
    auto j = std::make_unique<J>(info.Env());
    int64_t nin;
    j->in = Floats(info[0], "input", &nin);
    j->out = Floats(info[1], "output", &j->n);
    if (nin != j->n * size_) throw Napi::RangeError::New(info.Env(), "reduceScatter: input must hold size * output.length floats");
    j->Keep(info[0]);
    j->Keep(info[1]);
    j->avg = info[2].ToBoolean();
    j->comm = comm_;
    j->rank = rank_;
    j->size = size_;
    return Queue(info.Env(), j.release());
  }

  // allGather(input (n), output (size*n)): block r of output is rank r's input. In place when
  // input is exactly output's block for this rank.
  Napi::Value AllGather(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; const float* in; float* out; int64_t n; int rank, size;
      std::string Run() override {
        const bool inPlace = in == out + rank * n;
        if (n <= g_chunk) {
          const int k = static_cast<int>(n);
          MPI_TRY("MPI_Allgather", MPI_Allgather(inPlace ? MPI_IN_PLACE : in, k, MPI_FLOAT, out, k, MPI_FLOAT, comm));
          return "";
        }
        // Each rank's block is broadcast from that rank, chunk by chunk.
        if (!inPlace) std::memcpy(out + rank * n, in, static_cast<size_t>(n) * sizeof(float));
        for (int r = 0; r < size; r++) {
          std::string err = Chunks(n, [&](int64_t off, int k) {
            MPI_TRY("MPI_Bcast", MPI_Bcast(out + r * n + off, k, MPI_FLOAT, r, comm));
            return std::string();
          });
          if (!err.empty()) return err;
        }
        return "";
      }
    };
    auto j = std::make_unique<J>(info.Env());
    int64_t nout;
    j->in = Floats(info[0], "input", &j->n);
    j->out = Floats(info[1], "output", &nout);
    if (nout != j->n * size_) throw Napi::RangeError::New(info.Env(), "allGather: output must hold size * input.length floats");
    j->Keep(info[0]);
    j->Keep(info[1]);
    j->comm = comm_;
    j->rank = rank_;
    j->size = size_;
    return Queue(info.Env(), j.release());
  }

  // broadcast(buf, root): in place, root's values to every rank.
  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; float* p; int64_t n; int root;
      std::string Run() override {
        return Chunks(n, [&](int64_t off, int k) {
          MPI_TRY("MPI_Bcast", MPI_Bcast(p + off, k, MPI_FLOAT, root, comm));
          return std::string();
        });
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->p = Floats(info[0], "buffer", &j->n);
    j->Keep(info[0]);
    j->root = Int(info[1], "root");
    j->comm = comm_;
    return Queue(info.Env(), j.release());
  }

  // send(buf, dest, tag) and recv(buf, source, tag): point to point, for pipeline stages.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; const float* p; int64_t n; int peer, tag;
      std::string Run() override {
        return Chunks(n, [&](int64_t off, int k) {
          MPI_TRY("MPI_Send", MPI_Send(p + off, k, MPI_FLOAT, peer, tag, comm));
          return std::string();
        });
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->p = Floats(info[0], "buffer", &j->n);
    j->Keep(info[0]);
    j->peer = Int(info[1], "dest");
    j->tag = Int(info[2], "tag");
    j->comm = comm_;
    return Queue(info.Env(), j.release());
  }

  Napi::Value Recv(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; float* p; int64_t n; int peer, tag;
      std::string Run() override {
        return Chunks(n, [&](int64_t off, int k) {
          MPI_Status status;
          MPI_TRY("MPI_Recv", MPI_Recv(p + off, k, MPI_FLOAT, peer, tag, comm, &status));
          int got = 0;
          MPI_Get_count(&status, MPI_FLOAT, &got);
          if (got != k) {
            return "MPI_Recv: received " + std::to_string(got) + " floats from rank " + std::to_string(peer) +
                   ", expected " + std::to_string(k) + " (the sender's array has another length)";
          }
          return std::string();
        });
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->p = Floats(info[0], "buffer", &j->n);
    j->Keep(info[0]);
    j->peer = Int(info[1], "source");
    j->tag = Int(info[2], "tag");
    j->comm = comm_;
    return Queue(info.Env(), j.release());
  }

  // sendRecv(sendBuf, dest, recvBuf, source, tag): both at once (MPI_Sendrecv), so that ranks
  // exchanging with each other cannot deadlock on two blocking sends.
  Napi::Value SendRecv(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; const float* out; float* in; int64_t nout, nin; int dest, source, tag;
      std::string Run() override {
        MPI_Status status;
        int got = 0;
        if (nout <= g_chunk && nin <= g_chunk) {
          MPI_TRY("MPI_Sendrecv", MPI_Sendrecv(out, static_cast<int>(nout), MPI_FLOAT, dest, tag, in,
                                                static_cast<int>(nin), MPI_FLOAT, source, tag, comm, &status));
          MPI_Get_count(&status, MPI_FLOAT, &got);
          if (got != nin) return Short(got, nin);
          return "";
        }
        // Chunked: every chunk posted at once (sender and receiver cut a message the same way), then waited for.
        std::vector<MPI_Request> requests;
        std::vector<int> sizes;
        for (int64_t off = 0; off < nin; off += g_chunk) {
          sizes.push_back(static_cast<int>(std::min(g_chunk, nin - off)));
          requests.emplace_back();
          MPI_TRY("MPI_Irecv", MPI_Irecv(in + off, sizes.back(), MPI_FLOAT, source, tag, comm, &requests.back()));
        }
        const size_t nrecv = requests.size();
        for (int64_t off = 0; off < nout; off += g_chunk) {
          requests.emplace_back();
          MPI_TRY("MPI_Isend", MPI_Isend(out + off, static_cast<int>(std::min(g_chunk, nout - off)), MPI_FLOAT, dest,
                                         tag, comm, &requests.back()));
        }
        std::vector<MPI_Status> statuses(requests.size());
        MPI_TRY("MPI_Waitall", MPI_Waitall(static_cast<int>(requests.size()), requests.data(), statuses.data()));
        for (size_t i = 0; i < nrecv; i++) {
          MPI_Get_count(&statuses[i], MPI_FLOAT, &got);
          if (got != sizes[i]) return Short(got, sizes[i]);
        }
        return "";
      }
      std::string Short(int got, int64_t want) const {
        return "MPI_Sendrecv: received " + std::to_string(got) + " floats from rank " + std::to_string(source) +
               ", expected " + std::to_string(want) + " (the sender's array has another length)";
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->out = Floats(info[0], "sendBuffer", &j->nout);
    j->dest = Int(info[1], "dest");
    j->in = Floats(info[2], "recvBuffer", &j->nin);
    j->source = Int(info[3], "source");
    j->tag = Int(info[4], "tag");
    j->Keep(info[0]);
    j->Keep(info[2]);
    j->comm = comm_;
    return Queue(info.Env(), j.release());
  }

  Napi::Value Barrier(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm;
      std::string Run() override {
        MPI_TRY("MPI_Barrier", MPI_Barrier(comm));
        return "";
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->comm = comm_;
    return Queue(info.Env(), j.release());
  }

  // split(color, key): MPI_Comm_split; resolves to the new communicator (null for a negative color).
  Napi::Value Split(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; int color, key;
      CommInit made{MPI_COMM_NULL, -1, 0};
      std::string Run() override {
        MPI_TRY("MPI_Comm_split", MPI_Comm_split(comm, color < 0 ? MPI_UNDEFINED : color, key, &made.comm));
        if (made.comm == MPI_COMM_NULL) return "";
        MPI_Comm_set_errhandler(made.comm, MPI_ERRORS_RETURN);
        MPI_Comm_rank(made.comm, &made.rank);
        MPI_Comm_size(made.comm, &made.size);
        return "";
      }
      Napi::Value Result(Napi::Env env) override {
        if (made.comm == MPI_COMM_NULL) return env.Null();
        auto* ctor = env.GetInstanceData<Napi::FunctionReference>();
        return ctor->New({Napi::External<CommInit>::New(env, &made)});
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->color = Int(info[0], "color");
    j->key = Int(info[1], "key");
    j->comm = comm_;
    return Queue(info.Env(), j.release());
  }

  // timeCollective(op, a, b, iters): for `gradpath bench allreduce`'s reference, runs the collective
  // iters times back to back on the communication thread and resolves to each call's seconds, so
  // the library's own time is measured in the same process, without the per-call promise.
  // op: 0 all-reduce (a in place), 1 reduce-scatter (a -> b), 2 all-gather (b -> a).
  Napi::Value TimeCollective(const Napi::CallbackInfo& info) {
    struct J : Job {
      using Job::Job;
      MPI_Comm comm; int op, iters, size; float* a; float* b; int64_t na, nb;
      std::vector<double> times;
      std::string Run() override {
        if (na > g_chunk) return "timeCollective: arrays above the chunk size are not timed";
        for (int i = 0; i < iters; i++) {
          double t0 = MPI_Wtime();
          int rc = op == 0   ? MPI_Allreduce(MPI_IN_PLACE, a, static_cast<int>(na), MPI_FLOAT, MPI_SUM, comm)
                   : op == 1 ? MPI_Reduce_scatter_block(a, b, static_cast<int>(nb), MPI_FLOAT, MPI_SUM, comm)
                             : MPI_Allgather(b, static_cast<int>(nb), MPI_FLOAT, a, static_cast<int>(nb), MPI_FLOAT, comm);
          if (rc != MPI_SUCCESS) return MpiError("timeCollective", rc);
          times.push_back(MPI_Wtime() - t0);
        }
        return "";
      }
      Napi::Value Result(Napi::Env env) override {
        auto out = Napi::Float64Array::New(env, times.size());
        for (size_t i = 0; i < times.size(); i++) out[i] = times[i];
        return out;
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->op = Int(info[0], "op");
    j->a = Floats(info[1], "a", &j->na);
    j->b = Floats(info[2], "b", &j->nb);
    j->iters = Int(info[3], "iters");
    if (j->op < 0 || j->op > 2 || j->iters < 1) throw Napi::RangeError::New(info.Env(), "timeCollective: op 0..2, iters >= 1");
    if (j->na != j->nb * size_) throw Napi::RangeError::New(info.Env(), "timeCollective: a must hold size * b.length floats");
    j->Keep(info[1]);
    j->Keep(info[2]);
    j->comm = comm_;
    j->size = size_;
    return Queue(info.Env(), j.release());
  }

  // free(): MPI_Comm_free, in order with the operations queued before it.
  Napi::Value Free(const Napi::CallbackInfo& info) {
    if (comm_ == MPI_COMM_WORLD) throw Napi::Error::New(info.Env(), "the world communicator is freed by finalize()");
    struct J : Job {
      using Job::Job;
      MPI_Comm comm;
      std::string Run() override {
        MPI_TRY("MPI_Comm_free", MPI_Comm_free(&comm));
        return "";
      }
    };
    auto j = std::make_unique<J>(info.Env());
    j->comm = comm_;
    auto promise = Queue(info.Env(), j.release());
    comm_ = MPI_COMM_NULL;  // nothing more may be queued on it
    return promise;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  uint64_t last_ = 0;
  std::shared_ptr<Lane> lane_;
};

// init(level = "multiple"): MPI_Init_thread; returns the thread level granted ("multiple" or
// "serialized"). Asking for "serialized" runs every communicator on one shared thread.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool serialized = info.Length() > 0 && info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "serialized";
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int rc = MPI_Init_thread(nullptr, nullptr, serialized ? MPI_THREAD_SERIALIZED : MPI_THREAD_MULTIPLE, &g_provided);
    if (rc != MPI_SUCCESS) throw Napi::Error::New(env, MpiError("MPI_Init_thread", rc));
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  if (g_provided < MPI_THREAD_SERIALIZED) {
    throw Napi::Error::New(env, "the MPI library grants neither MPI_THREAD_MULTIPLE nor MPI_THREAD_SERIALIZED");
  }
  return Napi::String::New(env, g_provided >= MPI_THREAD_MULTIPLE ? "multiple" : "serialized");
}

// world(): a new communicator object over MPI_COMM_WORLD (call once).
Napi::Value World(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_provided < 0 || g_finalized) throw Napi::Error::New(env, "MPI is not initialised");
  CommInit init{MPI_COMM_WORLD, 0, 1};
  MPI_Comm_rank(MPI_COMM_WORLD, &init.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &init.size);
  return env.GetInstanceData<Napi::FunctionReference>()->New({Napi::External<CommInit>::New(env, &init)});
}

// finalize(): stops every lane and calls MPI_Finalize; false (and nothing done) while an
// operation is still pending, since MPI_Finalize would then wait for it forever.
Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_provided < 0 || g_finalized) return Napi::Boolean::New(env, true);
  for (auto& lane : Lanes()) {
    if (lane->Pending() > 0) return Napi::Boolean::New(env, false);
  }
  for (auto& lane : Lanes()) lane->Stop();
  g_finalized = true;
  int rc = MPI_Finalize();
  if (rc != MPI_SUCCESS) throw Napi::Error::New(env, MpiError("MPI_Finalize", rc));
  return Napi::Boolean::New(env, true);
}

// abort(code): MPI_Abort on the world: the launcher ends every rank of the job.
Napi::Value Abort(const Napi::CallbackInfo& info) {
  int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  MPI_Abort(MPI_COMM_WORLD, code);
  return info.Env().Undefined();
}

// setChunkElements(n): the most elements per MPI call (tests use small values).
Napi::Value SetChunkElements(const Napi::CallbackInfo& info) {
  int64_t n = info[0].As<Napi::Number>().Int64Value();
  if (n < 1 || n > INT_MAX) throw Napi::RangeError::New(info.Env(), "chunk must be in 1..2^31-1");
  g_chunk = n;
  return info.Env().Undefined();
}

Napi::Value LibraryVersion(const Napi::CallbackInfo& info) {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string s(text, len);
  return Napi::String::New(info.Env(), s.substr(0, s.find_first_of("\r\n,")));
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  Napi::Function comm = Comm::Define(env);
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(comm)));
  exports.Set("Communicator", comm);
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("world", Napi::Function::New(env, World));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("abort", Napi::Function::New(env, Abort));
  exports.Set("setChunkElements", Napi::Function::New(env, SetChunkElements));
  exports.Set("libraryVersion", Napi::Function::New(env, LibraryVersion));
  return exports;
}

}  // namespace

NODE_API_MODULE(gradpath_mpi, Module)
