module github.com/thingsim/thingsim

go 1.24

require (
	github.com/google/uuid v1.6.0
	go.yaml.in/yaml/v3 v3.0.6
)
