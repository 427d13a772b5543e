package api

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/importer"
	"github.com/o211/o211/node/params"
)

// Import formats accepted by POST /api/v1/import.
const (
	FormatHSDSJSON   = "hsds-json"
	FormatHSDSCSV    = "hsds-csv"
	Format211Ontario = "211ontario"
)

// ImportOptions are the options of an import: skip_invalid, dry_run and
// source.
type ImportOptions struct {
	SkipInvalid bool
	DryRun      bool
	// Source names the feed the file comes from ("" for the format).
	Source string
}

// routesImport mounts POST /api/v1/import, behind the token check.
func (s *Write) routesImport(r chi.Router) {
	if s.cfg.Importer == nil {
		r.Post("/api/v1/import", s.writeUnavailable)
		return
	}
	r.With(httpx.Require(o211.DirectoryRoles...), s.limitBody(s.cfg.MaxImportBytes)).Post("/api/v1/import", s.importHandler)
}

// importHandler answers POST /api/v1/import?format=...&skip_invalid=...
// with the import report. The body is the file: for hsds-json a JSON
// file; for hsds-csv a zip of the datapackage, or multipart/form-data with
// one part per CSV file; for 211ontario the export file. Any format may
// also come zipped or as multipart parts.
func (s *Write) importHandler(w http.ResponseWriter, r *http.Request) {
	p := params.New(r)
	format := p.OneOf("format", "", FormatHSDSJSON, FormatHSDSCSV, Format211Ontario)
	if format == "" && p.Err() == nil {
		p.Fail("format", "is required: "+FormatHSDSJSON+", "+FormatHSDSCSV+" or "+Format211Ontario)
	}
	opts := ImportOptions{SkipInvalid: p.Bool("skip_invalid", false), DryRun: p.Bool("dry_run", false), Source: r.URL.Query().Get("source")}
	if err := p.Err(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	dir, err := os.MkdirTemp(s.cfg.TempDir, "o211-import-*")
	if err != nil {
		s.writeProblem(w, r, fmt.Errorf("api: import: %w", err))
		return
	}
	defer os.RemoveAll(dir)
	target, err := s.receiveUpload(r, dir, format)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	report, err := s.cfg.Importer.Import(r.Context(), format, target, opts)
	if err != nil {
		s.writeProblem(w, r, httpx.Unprocessable(hideDir(err, dir)))
		return
	}
	b, err := json.Marshal(report)
	if err != nil {
		s.writeProblem(w, r, fmt.Errorf("api: import report: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(hidePath(string(b), dir)), '\n'))
}

// hideDir removes the temporary folder from an import's error: from the
// file names of its problems and from every text, where a file in it is
// named by its path in the upload and the folder itself as "the upload".
func hideDir(err error, dir string) error {
	var e *o211.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Problems = make([]o211.InputProblem, len(e.Problems))
	for i, p := range e.Problems {
		p.File, p.Record, p.Reason = hidePath(p.File, dir), hidePath(p.Record, dir), hidePath(p.Reason, dir)
		c.Problems[i] = p
	}
	c.Message, c.Field = hidePath(c.Message, dir), hidePath(c.Field, dir)
	return &c
}

// hidePath replaces the temporary folder dir in s: a path inside it by
// the path in the upload, the folder itself by "the upload".
func hidePath(s, dir string) string {
	s = strings.ReplaceAll(s, dir+string(filepath.Separator), "")
	return strings.ReplaceAll(s, dir, "the upload")
}

// receiveUpload writes the body into dir and returns the path to import:
// a folder for hsds-csv and for archives of several files, else the file.
func (s *Write) receiveUpload(r *http.Request, dir, format string) (string, error) {
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if strings.HasPrefix(mt, "multipart/") {
		err = saveParts(r, mp["boundary"], dir)
	} else {
		err = saveBody(r, dir, format)
	}
	if err != nil {
		return "", err
	}
	root, err := importRoot(dir)
	if err != nil {
		return "", err
	}
	if format == FormatHSDSCSV {
		return root, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", fmt.Errorf("api: import: %w", err)
	}
	if len(entries) == 1 && !entries[0].IsDir() {
		return filepath.Join(root, entries[0].Name()), nil
	}
	return root, nil
}

// importRoot descends through folders that hold nothing but one folder
// (a zip of a folder), and refuses an empty upload.
func importRoot(dir string) (string, error) {
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return "", fmt.Errorf("api: import: %w", err)
		}
		switch {
		case len(entries) == 0:
			return "", o211.Errorf(o211.EINVALID, "The upload holds no file to import.")
		case len(entries) == 1 && entries[0].IsDir():
			dir = filepath.Join(dir, entries[0].Name())
		default:
			return dir, nil
		}
	}
}

// saveBody writes a plain body into dir: unpacked when it is a zip, else
// as one file named after the format.
func saveBody(r *http.Request, dir, format string) error {
	br := bufio.NewReader(r.Body)
	magic, err := br.Peek(4)
	if len(magic) == 0 {
		if err != nil && err != io.EOF {
			return uploadError(err)
		}
		return o211.Errorf(o211.EINVALID, "The request body is empty: send the file to import.")
	}
	if bytes.Equal(magic, []byte("PK\x03\x04")) {
		zipPath := filepath.Join(dir, ".upload.zip")
		if err := saveFile(zipPath, br); err != nil {
			return err
		}
		defer os.Remove(zipPath)
		return unzip(zipPath, dir)
	}
	name := map[string]string{FormatHSDSJSON: "import.json", Format211Ontario: "import"}[format]
	if _, p, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil && p["filename"] != "" {
		name = p["filename"]
	}
	if name == "" {
		return o211.Errorf(o211.EINVALID, "For hsds-csv, send a zip of the datapackage, or multipart/form-data with one part per CSV file.")
	}
	clean, err := cleanName(name)
	if err != nil {
		return err
	}
	return saveFile(filepath.Join(dir, clean), br)
}

// saveParts writes each file part of a multipart body into dir, under its
// file name (zip parts are unpacked).
func saveParts(r *http.Request, boundary, dir string) error {
	if boundary == "" {
		return o211.Errorf(o211.EINVALID, "The multipart body has no boundary.")
	}
	mr := multipart.NewReader(r.Body, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return uploadError(err)
		}
		if part.FileName() == "" {
			continue
		}
		name, err := cleanName(part.FileName())
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, name)
		if err := saveFile(dst, part); err != nil {
			return err
		}
		if strings.EqualFold(path.Ext(name), ".zip") {
			if err := unzip(dst, dir); err != nil {
				return err
			}
			os.Remove(dst)
		}
	}
}

// uploadError translates a failure to read the upload.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	return o211.Errorf(o211.EINVALID, "The upload could not be read: it ended early or is malformed.")
}

// saveFile copies r into a new file at dst.
func saveFile(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("api: import: %w", err)
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return o211.Errorf(o211.EINVALID, "The upload holds %s twice.", httpx.Prefix(filepath.Base(dst)))
		}
		return fmt.Errorf("api: import: %w", err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		if _, ok := err.(*os.PathError); ok {
			return fmt.Errorf("api: import: %w", err)
		}
		return uploadError(err)
	}
	return nil
}

// cleanName returns a file name from an upload as a relative path inside
// the import folder, or an EINVALID error for names that would leave it.
func cleanName(name string) (string, error) {
	slashed := strings.ReplaceAll(name, "\\", "/")
	for _, seg := range strings.Split(slashed, "/") {
		if seg == ".." {
			return "", o211.Errorf(o211.EINVALID, "The file name %q leaves its folder.", httpx.Prefix(name))
		}
	}
	clean := path.Clean("/" + slashed)[1:]
	if clean == "" || strings.HasPrefix(clean, ".") || strings.Contains(clean, "/.") || strings.ContainsRune(clean, ':') {
		return "", o211.Errorf(o211.EINVALID, "The file name %q cannot be used.", httpx.Prefix(name))
	}
	return filepath.FromSlash(clean), nil
}

// unzip unpacks the archive into dir. Names that would leave dir are
// refused, and so are archives that unpack to more than maxUnzipped bytes.
func unzip(archive, dir string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return o211.Errorf(o211.EINVALID, "The zip file cannot be read: it is damaged or not a zip file.")
	}
	defer zr.Close()
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(path.Base(f.Name), ".") || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		name, err := cleanName(f.Name)
		if err != nil {
			return err
		}
		total += int64(f.UncompressedSize64)
		if total > maxUnzipped || f.UncompressedSize64 > maxUnzipped {
			return o211.Errorf(o211.ETOOLARGE, "The zip file unpacks to more than %s.", byteSize(maxUnzipped))
		}
		if importer.ZipBomb(f) {
			return o211.Errorf(o211.ETOOLARGE, "%s in the zip file unpacks to %s from %s: no directory export packs that tightly, so the file is refused.",
				httpx.Prefix(name), byteSize(int64(f.UncompressedSize64)), byteSize(int64(f.CompressedSize64)))
		}
		rc, err := f.Open()
		if err != nil {
			return o211.Errorf(o211.EINVALID, "%s in the zip file cannot be read.", httpx.Prefix(f.Name))
		}
		err = saveFile(filepath.Join(dir, name), io.LimitReader(rc, int64(f.UncompressedSize64)))
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// maxUnzipped bounds what an uploaded zip may unpack to.
const maxUnzipped = 4 << 30
