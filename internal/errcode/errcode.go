// Package errcode is the one registry of drover's error codes: each stable
// code a client may see in an error body ({"error":{"code":...}}), the HTTP
// status it is answered with, and what it means. The server's error → HTTP
// mapping reads the status from here, the engine's user errors
// (internal/engine/usererr) take their codes from here, and a test checks
// docs/api.md's table against this list in both directions.
//
// Add a code here (constant and Registry entry) before using it anywhere.
package errcode

import "net/http"

// Codes of the HTTP API.
const (
	// Requests.
	BadRequest        = "bad_request"
	TooLarge          = "too_large"
	UploadFailed      = "upload_failed"
	UploadTimeout     = "upload_timeout"
	TooManyColumns    = "too_many_columns"
	BadName           = "bad_name"
	CommandNotAllowed = "command_not_allowed"
	GPUsUnavailable   = "gpus_unavailable"
	Unauthorized      = "unauthorized"
	WrongToken        = "wrong_token"
	WrongPassword     = "wrong_password"
	NotFound          = "not_found"
	DatasetNotFound   = "dataset_not_found"
	Conflict          = "conflict"
	NotSucceeded      = "not_succeeded"
	NoModel           = "no_model"
	NoTokenConfigured = "no_token_configured"
	Internal          = "internal"
	Unavailable       = "unavailable"
	UnknownPriority   = "unknown_priority"
	Forbidden         = "forbidden"
	QuotaExceeded     = "quota_exceeded"
	DatasetInUse      = "dataset_in_use"

	// Exposure defences (docs/security.md).
	HostNotAllowed       = "host_not_allowed"
	CrossOrigin          = "cross_origin"
	UnsupportedMediaType = "unsupported_media_type"
	MethodNotAllowed     = "method_not_allowed"
	DiskFull             = "disk_full"
	DiskUnknown          = "disk_unknown"
	TooManyUploads       = "too_many_uploads"
	TooManyAttempts      = "too_many_attempts"

	// Data (an upload, or a table to train on or score).
	EmptyFile       = "empty_file"
	NoHeader        = "no_header"
	HeaderOnly      = "header_only"
	RaggedRows      = "ragged_rows"
	InvalidUTF8     = "invalid_utf8"
	DuplicateColumn = "duplicate_column"
	NotCSV          = "not_csv"
	MissingColumns  = "missing_columns"
	BadModel        = "bad_model"

	// Specs (what an experiment asks for, checked against its dataset).
	TargetMissing      = "target_missing"
	TargetConstant     = "target_constant"
	TargetAllMissing   = "target_all_missing"
	TooFewRows         = "too_few_rows"
	SingleRowClass     = "single_row_class"
	NoFeatures         = "no_features"
	UnknownTask        = "unknown_task"
	TaskTargetMismatch = "task_target_mismatch"
	UnknownScorer      = "unknown_scorer"
	ScorerTaskMismatch = "scorer_task_mismatch"
	DialOutOfRange     = "dial_out_of_range"
	UnknownModel       = "unknown_model"
	BadParam           = "bad_param"
)

// Entry is one registered code.
type Entry struct {
	Code    string
	Status  int // HTTP status of an answer with this code
	Meaning string
}

// Registry lists every code, grouped by HTTP status.
var Registry = []Entry{
	{BadRequest, http.StatusBadRequest, "the request is malformed: bad JSON, an unknown field, a missing or out-of-range value (the field is named)"},
	{UploadFailed, http.StatusBadRequest, "the upload body could not be read to the end"},
	{TooManyColumns, http.StatusBadRequest, "the upload has more columns than max_columns"},
	{BadName, http.StatusBadRequest, "a file name that is not allowed (an artifact path with .. or a bad character)"},
	{CommandNotAllowed, http.StatusBadRequest, "command experiments are off on this server (allow_command_experiments)"},
	{GPUsUnavailable, http.StatusBadRequest, "a GPU experiment in worker_mode multiprocessing, which runs on the server's CPUs"},
	{EmptyFile, http.StatusBadRequest, "the uploaded file is empty"},
	{NoHeader, http.StatusBadRequest, "the file has no header row"},
	{HeaderOnly, http.StatusBadRequest, "the file has a header and no data rows"},
	{RaggedRows, http.StatusBadRequest, "a row has a different number of fields than the header"},
	{InvalidUTF8, http.StatusBadRequest, "the file is not UTF-8 text"},
	{DuplicateColumn, http.StatusBadRequest, "two columns have the same name"},
	{NotCSV, http.StatusBadRequest, "the file is not CSV (or Parquet)"},
	{MissingColumns, http.StatusBadRequest, "the table to score lacks columns the model needs"},
	{BadModel, http.StatusBadRequest, "a model artifact that cannot be read"},
	{TargetMissing, http.StatusBadRequest, "no target given, or the target column is not in the dataset"},
	{TargetConstant, http.StatusBadRequest, "the target has a single value (or one class with two or more rows): nothing to learn"},
	{TargetAllMissing, http.StatusBadRequest, "the target column has no values"},
	{TooFewRows, http.StatusBadRequest, "fewer rows with a target value than the engine's minimum (5)"},
	{SingleRowClass, http.StatusBadRequest, "a class has a single row"},
	{NoFeatures, http.StatusBadRequest, "no usable feature column besides the target"},
	{UnknownTask, http.StatusBadRequest, "task is not auto, binary, multiclass or regression"},
	{TaskTargetMismatch, http.StatusBadRequest, "the task does not fit the target: regression on a categorical target, binary on more than two classes"},
	{UnknownScorer, http.StatusBadRequest, "no scorer of that name"},
	{ScorerTaskMismatch, http.StatusBadRequest, "the scorer does not apply to the task"},
	{DialOutOfRange, http.StatusBadRequest, "accuracy, time or interpretability outside 0-10"},
	{UnknownModel, http.StatusBadRequest, "a model family the engine does not have"},
	{BadParam, http.StatusBadRequest, "a model parameter that is unknown, of the wrong type or out of range, or bad folds"},
	{UnknownPriority, http.StatusBadRequest, "priority is not high, normal or low"},
	{Unauthorized, http.StatusUnauthorized, "no token, or not the server's token"},
	{WrongToken, http.StatusUnauthorized, "the UI login was given a wrong token"},
	{WrongPassword, http.StatusUnauthorized, "the UI login was given a user name and a password that do not match (or a user without a password)"},
	{Forbidden, http.StatusForbidden, "the caller may not do this (another user's experiment, a priority above theirs)"},
	{CrossOrigin, http.StatusForbidden, "a state-changing request from another origin's page (docs/security.md)"},
	{NotFound, http.StatusNotFound, "no such experiment, dataset, artifact or path"},
	{DatasetNotFound, http.StatusNotFound, "the spec names a dataset that does not exist"},
	{UploadTimeout, http.StatusRequestTimeout, "an upload sent no byte for 60 s"},
	{Conflict, http.StatusConflict, "the experiment is not in a state that allows this (cancel a finished one, finish a queued one, delete a queued or running one)"},
	{NotSucceeded, http.StatusConflict, "artifacts or predictions of an experiment that has not succeeded"},
	{DatasetInUse, http.StatusConflict, "the dataset is used by a queued or running experiment; cancel it or wait before deleting"},
	{NoModel, http.StatusConflict, "the experiment produced no model (a command experiment)"},
	{NoTokenConfigured, http.StatusConflict, "UI login on a server without api_token"},
	{MethodNotAllowed, http.StatusMethodNotAllowed, "the path does not take this method"},
	{TooLarge, http.StatusRequestEntityTooLarge, "the request body is larger than the server accepts (a JSON body over 1 MB, an upload over max_upload_size_mb, a predict body over max_predict_size_mb)"},
	{UnsupportedMediaType, http.StatusUnsupportedMediaType, "a JSON endpoint called without Content-Type: application/json"},
	{HostNotAllowed, http.StatusMisdirectedRequest, "the Host header is not one this server answers to (set public_url)"},
	{QuotaExceeded, http.StatusTooManyRequests, "the user's max_queued_per_user is reached"},
	{TooManyUploads, http.StatusTooManyRequests, "max_concurrent_uploads uploads are in progress"},
	{TooManyAttempts, http.StatusTooManyRequests, "too many failed logins; wait and try again"},
	{Internal, http.StatusInternalServerError, "an unexpected error; details in the server log only"},
	{Unavailable, http.StatusServiceUnavailable, "Redis or the object store cannot be reached"},
	{DiskFull, http.StatusInsufficientStorage, "an upload would leave the server's disk under 5 % free"},
	{DiskUnknown, http.StatusServiceUnavailable, "the server cannot tell how much disk is free, so it takes no upload"},
}

var byCode = func() map[string]Entry {
	m := make(map[string]Entry, len(Registry))
	for _, e := range Registry {
		m[e.Code] = e
	}
	return m
}()

// Lookup returns the entry of code.
func Lookup(code string) (Entry, bool) {
	e, ok := byCode[code]
	return e, ok
}

// Status is the HTTP status of code; an unregistered code is a bug and
// answers 500.
func Status(code string) int {
	if e, ok := byCode[code]; ok {
		return e.Status
	}
	return http.StatusInternalServerError
}
