module flamewire.dev/sample-service

go 1.19
