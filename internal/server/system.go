package server

import (
	"context"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": Version})
}

// systemInfo is Resources > System Info: workers, processors, queues
// (handleSystemInfo adds the alerts and the counts).
func (s *Server) systemInfo(ctx context.Context) (*api.SystemInfo, error) {
	workers, err := s.disp.Workers(ctx)
	if err != nil {
		return nil, err
	}
	info := &api.SystemInfo{Version: Version, WorkerMode: s.cfg.WorkerMode, Workers: workers, CPUCores: runtime.NumCPU()}
	for _, wk := range workers {
		if wk.Health == "healthy" || wk.Health == "suspect" {
			info.TotalProcessors += wk.Processors
		}
		info.BusyProcessors += len(wk.Running)
	}
	// Counted in the store's index, not listed: this stays cheap with a
	// long queue. Rows of a drover before queues were stored count as CPU.
	counts, err := s.store.CountQueued(ctx)
	if err != nil {
		return nil, err
	}
	info.Queue.CPU, info.Queue.GPU = counts["cpu"]+counts[""], counts["gpu"]
	info.Alerts = []api.Alert{}
	return info, nil
}

// countsFor fills the experiment and dataset counts the caller may see.
func (s *Server) countsFor(ctx context.Context, who principal, info *api.SystemInfo) error {
	owner, visible := "", ""
	if !who.Admin {
		owner, visible = who.Name, who.Name
	}
	byStatus, err := s.store.CountByStatus(ctx, owner)
	if err != nil {
		return err
	}
	info.Experiments = map[string]int{}
	for _, st := range statuses {
		info.Experiments[string(st)] = byStatus[st]
	}
	info.Datasets, err = s.store.CountDatasets(ctx, visible)
	return err
}

func (s *Server) handleSystemInfo(w http.ResponseWriter, r *http.Request) {
	info, err := s.systemInfo(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if v := s.queueView(r.Context()); v != nil {
		info.Alerts = v.alerts
	}
	who := s.who(r)
	if err := s.countsFor(r.Context(), who, info); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !who.Admin {
		// everyone's load, but only the user's own experiment ids
		running, err := s.store.ListExperiments(r.Context(), api.StatusRunning)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		mine := map[string]bool{}
		for _, e := range running {
			mine[e.ID] = ownerOf(e) == who.Name
		}
		for i := range info.Workers {
			wk := &info.Workers[i]
			own := []string{}
			for _, id := range wk.Running {
				if mine[id] {
					own = append(own, id)
				} else {
					wk.RunningOthers++
				}
			}
			wk.Running = own
		}
	}
	writeJSON(w, http.StatusOK, info)
}

// healthAPI is the product's health-API shape, read by autoscalers.
type healthAPI struct {
	APIVersion            string            `json:"api_version"`
	ServerVersion         string            `json:"server_version"`
	Version               string            `json:"version"`
	ApplicationID         string            `json:"application_id"`
	Timestamp             string            `json:"timestamp"`
	LastSystemInteraction string            `json:"last_system_interaction"`
	IsIdle                bool              `json:"is_idle"`
	ActiveUsers           int               `json:"active_users"` // users with an experiment queued or running
	Resources             healthResources   `json:"resources"`
	Tasks                 healthTasks       `json:"tasks"`
	Utilization           healthUtilization `json:"utilization"`
	Workers               []healthWorker    `json:"workers"`
}

type healthResources struct {
	CPUCores int `json:"cpu_cores"`
	GPUs     int `json:"gpus"`
	Nodes    int `json:"nodes"`
}

type healthTasks struct {
	Running        int `json:"running"`
	RunningGPU     int `json:"running_gpu"`
	RunningCPU     int `json:"running_cpu"`
	Scheduled      int `json:"scheduled"`
	ScheduledOnGPU int `json:"scheduled_on_gpu"`
	ScheduledOnCPU int `json:"scheduled_on_cpu"`
	// RunningNonExperiment counts other work of the server: predictions
	// being scored now.
	RunningNonExperiment int `json:"running_non_experiment"`
	// DemandCPU and DemandGPU (drover's own) are the processors wanted
	// now: running plus queued experiments of that kind. An autoscaler
	// divides by worker_remote_processors (packaging/keda).
	DemandCPU int `json:"demand_cpu"`
	DemandGPU int `json:"demand_gpu"`
}

type healthUtilization struct {
	CPU    float64 `json:"cpu"`
	GPU    float64 `json:"gpu"`
	Memory float64 `json:"memory"`
}

type healthWorker struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Host            string `json:"host"`
	Health          string `json:"health"`
	Processors      int    `json:"processors"`
	GPUs            int    `json:"gpus"`
	RunningTasks    int    `json:"running_tasks"`
	RunningTasksGPU int    `json:"running_tasks_gpu"`
	RunningTasksCPU int    `json:"running_tasks_cpu"`
	FreeProcessors  int    `json:"free_processors"`
	State           string `json:"state"` // active, "draining (N running)", drained
	LastSeen        string `json:"last_seen,omitempty"`
}

func (s *Server) handleHealthAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	info, err := s.systemInfo(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	running, err := s.store.ListExperiments(ctx, protocol.StatusRunning)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	gpuRun := map[string]bool{}
	h := healthAPI{APIVersion: "v1", ServerVersion: Version, Version: Version, Timestamp: time.Now().UTC().Format(time.RFC3339)}
	users := map[string]bool{}
	h.Workers = []healthWorker{}
	h.ApplicationID, _ = os.Hostname()
	owners, err := s.store.ActiveOwners(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, o := range owners {
		users[ownerOf(&store.Experiment{Owner: o})] = true
	}
	for _, e := range running {
		h.Tasks.Running++
		if e.Spec.GPUs > 0 {
			h.Tasks.RunningGPU++
			gpuRun[e.ID] = true
		} else {
			h.Tasks.RunningCPU++
		}
	}
	h.Tasks.ScheduledOnCPU, h.Tasks.ScheduledOnGPU = info.Queue.CPU, info.Queue.GPU
	h.Tasks.Scheduled = info.Queue.CPU + info.Queue.GPU
	h.Tasks.RunningNonExperiment = int(s.predicting.Load())
	h.Tasks.DemandCPU = h.Tasks.RunningCPU + h.Tasks.ScheduledOnCPU
	h.Tasks.DemandGPU = h.Tasks.RunningGPU + h.Tasks.ScheduledOnGPU
	h.ActiveUsers = len(users)
	h.IsIdle = h.Tasks.Running == 0 && h.Tasks.Scheduled == 0
	h.LastSystemInteraction = s.lastInteraction(ctx).UTC().Format(time.RFC3339)
	h.Resources.CPUCores = info.CPUCores
	for _, wk := range info.Workers {
		h.Resources.Nodes++
		h.Resources.GPUs += wk.GPUs
		hw := healthWorker{ID: wk.ID, Name: wk.Name, Host: wk.Host, Health: wk.Health, Processors: wk.Processors, GPUs: wk.GPUs,
			RunningTasks: len(wk.Running), FreeProcessors: max(0, wk.Processors-len(wk.Running)), State: wk.State}
		for _, id := range wk.Running {
			if gpuRun[id] {
				hw.RunningTasksGPU++
			} else {
				hw.RunningTasksCPU++
			}
		}
		if wk.LastSeen != nil {
			hw.LastSeen = wk.LastSeen.UTC().Format(time.RFC3339)
		}
		h.Workers = append(h.Workers, hw)
	}
	if info.TotalProcessors > 0 {
		h.Utilization.CPU = float64(info.BusyProcessors) / float64(info.TotalProcessors)
	}
	writeJSON(w, http.StatusOK, h)
}

// lastInteraction is when an experiment was last created or finished.
func (s *Server) lastInteraction(ctx context.Context) time.Time {
	last, err := s.store.LastInteraction(ctx)
	if err != nil {
		s.log.Warn("last interaction unavailable", "err", err)
	}
	return last
}
