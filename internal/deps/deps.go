package main
import (
 _ "github.com/jackc/pgx/v5/stdlib"
 _ "modernc.org/sqlite"
 _ "github.com/pressly/goose/v3"
 _ "github.com/paulmach/orb/geojson"
 _ "github.com/paulmach/orb/planar"
 _ "github.com/tidwall/rtree"
 _ "github.com/prometheus/client_golang/prometheus/promhttp"
 _ "golang.org/x/crypto/argon2"
)
func main(){}
