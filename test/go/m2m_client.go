// A client of the notes service written the way a Go team would: code
// generated from proto/ with protoc-gen-go and protoc-gen-go-grpc (the
// import paths come from the protos' go_package options, no M mappings),
// Debian's grpc-go, tokens handed in by whoever runs it. It lists, creates and
// watches notes, then makes calls that must be refused and decodes the
// m2m.auth.v1.AuthError detail of each refusal.
//
// Prints one JSON object with what it observed (test/go-client.test.ts checks
// it) and exits 1 only when a call that must succeed fails.
//
// Environment: NOTES_ADDR (host:port), NOTES_TOKEN (note.read note.write),
// NOTES_READ_TOKEN (note.read only), CALENDAR_TOKEN (a token for the calendar
// service, which the notes service must refuse).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	authv1 "m2m-grpc/gen/go/m2m/auth/v1"
	notesv1 "m2m-grpc/gen/go/m2m/notes/v1"
)

// refusal is what a failed call showed: its status code and the decoded AuthError detail, if any.
type refusal struct {
	Code           string   `json:"code"`
	Reason         string   `json:"reason,omitempty"`
	RequiredScopes []string `json:"requiredScopes,omitempty"`
	GrantedScopes  []string `json:"grantedScopes,omitempty"`
	Audience       string   `json:"audience,omitempty"`
}

func refusalOf(err error) refusal {
	if err == nil {
		return refusal{Code: "OK"}
	}
	st := status.Convert(err)
	r := refusal{Code: codeName(st.Code().String())}
	for _, detail := range st.Details() {
		if authErr, ok := detail.(*authv1.AuthError); ok {
			r.Reason = authErr.GetReason().String()
			r.RequiredScopes = authErr.GetRequiredScopes()
			r.GrantedScopes = authErr.GetGrantedScopes()
			r.Audience = authErr.GetAudience()
		}
	}
	return r
}

// codeName turns grpc-go's "Unauthenticated" into the canonical "UNAUTHENTICATED".
func codeName(name string) string {
	out := make([]byte, 0, len(name)+4)
	for i, c := range []byte(name) {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				out = append(out, '_')
			}
		} else if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out)
}

func withToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	conn, err := grpc.Dial(os.Getenv("NOTES_ADDR"), grpc.WithInsecure())
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()
	notes := notesv1.NewNoteServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rw := withToken(ctx, os.Getenv("NOTES_TOKEN"))
	report := map[string]interface{}{}

	listed, err := notes.ListNotes(rw, &notesv1.ListNotesRequest{PageSize: 1000})
	if err != nil {
		fail("list: %v", err)
	}
	report["listedBefore"] = len(listed.GetNotes())

	// The watch: WATCH_STARTED first, then the note we create.
	watchCtx, stopWatch := context.WithCancel(rw)
	stream, err := notes.WatchNotes(watchCtx, &notesv1.WatchNotesRequest{})
	if err != nil {
		fail("watch: %v", err)
	}
	first, err := stream.Recv()
	if err != nil {
		fail("watch start: %v", err)
	}
	created, err := notes.CreateNote(rw, &notesv1.CreateNoteRequest{Note: &notesv1.Note{Title: "from go", Description: "generated client"}})
	if err != nil {
		fail("create: %v", err)
	}
	note := created.GetNote()
	report["created"] = map[string]string{"id": note.GetId(), "title": note.GetTitle(), "createdBy": note.GetCreatedBy()}
	change, err := stream.Recv()
	if err != nil {
		fail("watch event: %v", err)
	}
	stopWatch()
	report["watch"] = []map[string]string{
		{"changeType": first.GetChangeType().String()},
		{"changeType": change.GetChangeType().String(), "noteId": change.GetNote().GetId()},
	}

	listed, err = notes.ListNotes(rw, &notesv1.ListNotesRequest{PageSize: 1000})
	if err != nil {
		fail("list: %v", err)
	}
	ids := []string{}
	for _, n := range listed.GetNotes() {
		ids = append(ids, n.GetId())
	}
	report["listedAfter"] = ids

	// What must be refused, each with its AuthError detail.
	_, err = notes.ListNotes(ctx, &notesv1.ListNotesRequest{})
	report["noToken"] = refusalOf(err)
	_, err = notes.ListNotes(withToken(ctx, "x.y.z"), &notesv1.ListNotesRequest{})
	report["garbageToken"] = refusalOf(err)
	_, err = notes.ListNotes(withToken(ctx, os.Getenv("CALENDAR_TOKEN")), &notesv1.ListNotesRequest{})
	report["calendarToken"] = refusalOf(err)
	_, err = notes.CreateNote(withToken(ctx, os.Getenv("NOTES_READ_TOKEN")), &notesv1.CreateNoteRequest{Note: &notesv1.Note{Title: "refused"}})
	report["readOnlyWrite"] = refusalOf(err)
	// A stream's refusal arrives with its first Recv.
	refused, err := notes.WatchNotes(ctx, &notesv1.WatchNotesRequest{})
	if err == nil {
		_, err = refused.Recv()
	}
	report["watchWithoutToken"] = refusalOf(err)

	if _, err := notes.DeleteNote(rw, &notesv1.DeleteNoteRequest{Id: note.GetId()}); err != nil {
		fail("delete: %v", err)
	}
	out, _ := json.Marshal(report)
	fmt.Println(string(out))
}
