module gmplabprobe

go 1.21
